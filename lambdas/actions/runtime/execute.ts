/**
 * Runs one action handler once: calls `exports[handlerName](event, api)` with the action's secrets as
 * `event.secrets`, captures what it writes to the console, bounds it in time and in log size, and describes
 * the outcome with every secret value redacted. The result never holds `event.secrets`.
 *
 * One run at a time per process: the console is a process-wide object, so two overlapping runs would
 * capture each other's lines. A second call while one runs is refused (ExecutionBusyError); ActionProcess
 * queues runs for this reason.
 *
 * The timeout here stops waiting for a handler that never settles. It cannot stop JavaScript that never
 * yields (`while (true) {}`); only killing the process can, which is what ActionProcess does.
 */
import { formatWithOptions, inspect } from 'node:util';

export type ExecutionStatus = 'succeeded' | 'failed' | 'timed_out';

export interface ExecutionResult {
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  /** console.log/info/warn/error/debug lines, redacted; at most maxLogBytes of them, then a '…truncated' line. */
  readonly logs: string[];
  readonly error?: { readonly name: string; readonly message: string };
}

export interface ExecuteOptions {
  /** The action's exports. */
  readonly exports?: unknown;
  /**
   * Or a function that returns them, called inside the run: the action's top-level code is then timed and
   * its console output captured like the handler's. Takes precedence over `exports`.
   */
  readonly loadExports?: () => unknown;
  /** The export to call, e.g. 'onExecuteAuth0Log'. */
  readonly handlerName: string;
  readonly event: object;
  /** The action's own secret values, given to the handler as `event.secrets` (a frozen copy). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** @default 8192 */
  readonly maxLogBytes?: number;
  readonly api: unknown;
  /** Every secret value the run could know: the action's and its modules'. */
  readonly redact: readonly string[];
  /** @default Date.now */
  readonly now?: () => number;
}

export const DEFAULT_MAX_LOG_BYTES = 8192;
export const TRUNCATED_MARKER = '…truncated';
export const REDACTED = '[REDACTED]';
/** Shorter values would redact ordinary words and numbers; Auth0's secrets are never that short in practice. */
export const MIN_REDACTED_LENGTH = 4;
const MAX_ERROR_MESSAGE_LENGTH = 2048;
const CAPTURED_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** executeAction was called while another run was in progress in this process. */
export class ExecutionBusyError extends Error {
  public constructor() {
    super('executeAction runs one action at a time per process; another run is still in progress.');
    this.name = 'ExecutionBusyError';
  }
}

// Taken before any action code runs in this process, so that code patching String.prototype or
// Object.freeze later cannot watch secret values go by during redaction or while the event is built.
const apply = Reflect.apply;
const stringIndexOf = String.prototype.indexOf;
const stringSlice = String.prototype.slice;
const indexOf = (text: string, search: string, from: number): number =>
  apply(stringIndexOf, text, [search, from]);
const slice = (text: string, start: number, end?: number): string => apply(stringSlice, text, [start, end]);
const freeze = Object.freeze;
const byteLength = Buffer.byteLength;
const format = formatWithOptions;
const stringify = JSON.stringify;
const describeValue = inspect;
const setTimer = setTimeout;
const clearTimer = clearTimeout;

let running = false;

export async function executeAction(options: ExecuteOptions): Promise<ExecutionResult> {
  const { handlerName, timeoutMs } = options;
  if (!(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`);
  }
  if (running) throw new ExecutionBusyError();
  running = true;
  const now = options.now ?? Date.now;
  const redact = createRedactor(options.redact);
  const capture = new LogCapture(options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES, redact);
  const started = now();
  const restoreConsole = capture.install();
  let timer: NodeJS.Timeout | undefined;
  let outcome: { status: ExecutionStatus; error?: unknown };
  try {
    const run = (async () => {
      const actionExports = options.loadExports ? options.loadExports() : options.exports;
      const handler = (actionExports as Record<string, unknown> | null | undefined)?.[handlerName];
      if (typeof handler !== 'function') throw missingHandler(handlerName, actionExports);
      const event = { ...options.event, secrets: freeze({ ...options.secrets }) };
      await handler(event, options.api);
    })();
    const timedOut = new Promise<'timed_out'>((resolve) => {
      timer = setTimer(() => resolve('timed_out'), timeoutMs);
    });
    outcome = await Promise.race([
      run.then(
        () => ({ status: 'succeeded' as const }),
        (error: unknown) => ({ status: 'failed' as const, error }),
      ),
      timedOut.then(() => ({
        status: 'timed_out' as const,
        error: new ActionTimeoutError(timeoutMs),
      })),
    ]);
  } finally {
    clearTimer(timer);
    restoreConsole();
    running = false;
  }
  const ended = now();
  return {
    status: outcome.status,
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(ended).toISOString(),
    durationMs: ended - started,
    logs: capture.lines,
    ...(outcome.status === 'succeeded' ? {} : { error: describeFailure(outcome.error, redact) }),
  };
}

class ActionTimeoutError extends Error {
  public constructor(timeoutMs: number) {
    super(`The action did not finish within ${timeoutMs} ms.`);
    this.name = 'ActionTimeoutError';
  }
}

function missingHandler(handlerName: string, actionExports: unknown): Error {
  const names =
    actionExports !== null && (typeof actionExports === 'object' || typeof actionExports === 'function')
      ? Object.keys(actionExports)
      : [];
  const error = new Error(
    `The action does not export a function named ${handlerName}; ` +
      (names.length > 0 ? `its exports are: ${names.join(', ')}.` : 'it exports nothing.') +
      ` Export it with: exports.${handlerName} = async (event, api) => { … };`,
  );
  error.name = 'ActionHandlerNotFoundError';
  return error;
}

/** The error's name and message only (never its stack or properties), redacted and bounded. */
export function describeFailure(
  error: unknown,
  redact: (text: string) => string,
): { name: string; message: string } {
  let name = 'Error';
  let message: string;
  try {
    if (error !== null && typeof error === 'object') {
      const { name: errorName, message: errorMessage } = error as { name?: unknown; message?: unknown };
      if (typeof errorName === 'string' && errorName.length > 0) name = errorName;
      message = typeof errorMessage === 'string' ? errorMessage : describeValue(error);
    } else {
      message = `The action threw a value that is not an Error: ${describeValue(error)}`;
    }
  } catch {
    message = 'The action threw a value that cannot be described.';
  }
  message = redact(message);
  if (message.length > MAX_ERROR_MESSAGE_LENGTH) message = `${slice(message, 0, MAX_ERROR_MESSAGE_LENGTH)}…`;
  return { name: slice(redact(name), 0, 200), message };
}

/**
 * Replaces each secret value of 4 characters or more, as written and as JSON or util.inspect would escape
 * it, with [REDACTED]. Longer values first, so a secret that contains another is replaced whole.
 */
export function createRedactor(values: readonly string[]): (text: string) => string {
  // Indexed loops over a prototype-less store: iterators, Array.prototype methods and setters on
  // Array.prototype are all things action code could have patched to watch the values go by.
  const needles: Record<number, string> = Object.create(null);
  let count = 0;
  const add = (needle: string) => {
    for (let i = 0; i < count; i++) if (needles[i] === needle) return;
    let at = count++;
    while (at > 0 && (needles[at - 1] as string).length < needle.length) {
      needles[at] = needles[at - 1] as string;
      at--;
    }
    needles[at] = needle;
  };
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'string' || value.length < MIN_REDACTED_LENGTH) continue;
    add(value);
    add(slice(stringify(value), 1, -1));
    add(slice(describeValue(value), 1, -1));
  }
  return (text: string) => {
    let redacted = text;
    for (let i = 0; i < count; i++) redacted = replaceEvery(redacted, needles[i] as string, REDACTED);
    return redacted;
  };
}

function replaceEvery(text: string, needle: string, replacement: string): string {
  let from = 0;
  let out = '';
  for (let at = indexOf(text, needle, 0); at !== -1; at = indexOf(text, needle, from)) {
    out += slice(text, from, at) + replacement;
    from = at + needle.length;
  }
  return from === 0 ? text : out + slice(text, from);
}

/** Console lines of one run, redacted before they are counted, so truncation never cuts a secret in two. */
class LogCapture {
  public readonly lines: string[] = [];
  private bytes = 0;
  private truncated = false;

  public constructor(
    private readonly maxBytes: number,
    private readonly redact: (text: string) => string,
  ) {}

  public install(): () => void {
    const saved = CAPTURED_METHODS.map((method) => [method, console[method]] as const);
    for (const method of CAPTURED_METHODS) {
      console[method] = (...args: unknown[]) => this.add(format({ colors: false }, ...args));
    }
    return () => {
      for (const [method, original] of saved) console[method] = original;
    };
  }

  private add(text: string): void {
    if (this.truncated) return;
    const line = this.redact(text);
    const size = byteLength(line, 'utf8');
    if (this.bytes + size <= this.maxBytes) {
      this.lines.push(line);
      this.bytes += size;
      return;
    }
    const room = this.maxBytes - this.bytes;
    if (room > 0) {
      // Cut on a character boundary: a partial UTF-8 sequence decodes to U+FFFD, which is dropped.
      const head = Buffer.from(line, 'utf8')
        .subarray(0, room)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
      if (head.length > 0) this.lines.push(head);
    }
    this.lines.push(`${TRUNCATED_MARKER} (the logs of one run are limited to ${this.maxBytes} bytes)`);
    this.truncated = true;
  }
}
