/**
 * Runs one action in a child process of its own, so that its code shares neither a process nor an
 * environment with AWS credentials or with another action's secrets, and so that code which never yields
 * can be stopped.
 *
 * The child (child.ts) is forked with `process.execPath` and an environment reduced to PATH, HOME, the
 * temporary directory, locale and NODE_ENV: no AWS_* variables, no tokens. Secret values go over the IPC
 * channel, never through the environment or the command line. The child has nothing to publish with:
 * `api.emit` sends the event to this process, which validates it again and hands it to `onEmit`. The `api`
 * calls it records for the run's trigger (recorded-api.ts) come back with its result, and are checked against
 * the trigger's table, bounded and redacted again here.
 * Nothing the child writes reaches this process's output: stdout is dropped, and stderr is kept only to
 * explain (redacted) a child that fails to start.
 *
 * A run that outlasts its timeout ends `timed_out`; the child is then killed with SIGKILL, since its code may
 * still be running, and the next run starts a fresh child (a cold start, with an empty `api.cache`). The
 * child reports a timeout itself when its code awaits something that never settles; when its code never
 * yields, this process gives up `killGraceMs` later. Runs of one ActionProcess are queued, one at a time.
 *
 * Not a sandbox: the child runs as the same OS user, so its code can read what that user can. On Linux that
 * includes /proc/<parent pid>/environ (in Lambda, the function's AWS credentials), and, where ptrace is not
 * restricted, other processes' memory through /proc/<pid>/mem. Where action code must not reach the
 * credentials, run it in a function whose role grants nothing an action should not have.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BASIC_ENVIRONMENT, scrubbedEnvironment } from '../../shared/environment';
import type { TriggerId } from '../bindings/triggers';
import { EmitRejectedError, validateEmit } from './api';
import { createRedactor, DEFAULT_MAX_LOG_BYTES, type ExecutionResult, type ExecutionStatus } from './execute';
import type { ChildMessage, ParentMessage } from './protocol';
import { type Recording, sanitizeRecording } from './recorded-api';

export interface ActionProcessOptions {
  /** The file assembleActionBundle's content was written to. */
  readonly bundlePath: string;
  /** The action's own secret values, given to the handler as `event.secrets`. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Each pinned module's secret values, by module name; a module sees only its own, as `actions.secrets`. */
  readonly moduleSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Publishes an event the action emitted (already validated). A rejection fails the action's `api.emit`. */
  readonly onEmit: (detailType: string, detail: Record<string, unknown>) => Promise<void>;
  /** @default 8192 */
  readonly maxLogBytes?: number;
  /** How long past a run's timeout the child may take to report before it is killed. @default 250 */
  readonly killGraceMs?: number;
  /** How long a new child may take to load the bundle. @default 10000 */
  readonly startTimeoutMs?: number;
  /**
   * The child's entry file and Node.js flags.
   * @default child.js beside this file once compiled; from the sources, child.ts bundled with esbuild
   */
  readonly childEntry?: ChildEntry;
}

export interface ChildEntry {
  readonly path: string;
  readonly execArgv: readonly string[];
}

export interface RunOptions {
  /** The export to call, e.g. 'onExecuteAuth0Log'. */
  readonly handlerName: string;
  /** The trigger of the event: it decides which `api` methods the handler gets and records. */
  readonly triggerId: TriggerId;
  readonly timeoutMs: number;
}

/** A run's outcome and the `api` calls it recorded (none when the child was stopped or died). */
export type ActionRunResult = ExecutionResult & { readonly recorded?: Recording };

/** A child process could not be started, or the ActionProcess was used after stop(). */
export class ActionProcessError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ActionProcessError';
  }
}

/** The variables a child inherits; everything else (AWS_*, tokens, NODE_OPTIONS) stays behind. */
export const CHILD_ENVIRONMENT: readonly string[] = [...BASIC_ENVIRONMENT, 'NODE_ENV'];
const STDERR_TAIL_BYTES = 2048;

export class ActionProcess {
  private child: ActionChild | undefined;
  private readonly children = new Set<ActionChild>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly redact: (text: string) => string;

  private constructor(private readonly options: ActionProcessOptions) {
    this.redact = createRedactor([
      ...Object.values(options.secrets),
      ...Object.values(options.moduleSecrets).flatMap((values) => Object.values(values)),
    ]);
  }

  /** Forks the child and waits until it has loaded the bundle. */
  public static async start(options: ActionProcessOptions): Promise<ActionProcess> {
    const started = new ActionProcess(options);
    started.child = await started.spawn();
    return started;
  }

  /**
   * Runs the handler on the event; runs are queued. Resolves with the outcome, whatever the action does;
   * rejects (ActionProcessError) only when no child can be started, or after stop().
   */
  public run(event: object, options: RunOptions): Promise<ActionRunResult> {
    const next = this.queue.then(() => this.runNow(event, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Kills the child (and any still dying) and resolves once none is left. */
  public async stop(): Promise<void> {
    this.stopped = true;
    this.child = undefined;
    await Promise.all([...this.children].map((child) => child.kill()));
  }

  /** The pid of the current child, if one is running (for tests and diagnostics). */
  public get pid(): number | undefined {
    return this.child?.alive ? this.child.process.pid : undefined;
  }

  private async runNow(event: object, options: RunOptions): Promise<ActionRunResult> {
    if (this.stopped) throw new ActionProcessError('This ActionProcess was stopped; start a new one.');
    if (!this.child?.alive) this.child = await this.spawn();
    const child = this.child;
    const result = await child.run(event, options);
    // Code that timed out may still be running, and would log into the next run: start afresh.
    if (result.status === 'timed_out' || !child.alive) {
      if (this.child === child) this.child = undefined;
      void child.kill();
    }
    return result;
  }

  private async spawn(): Promise<ActionChild> {
    const entry = this.options.childEntry ?? (await defaultChildEntry());
    const child = new ActionChild(entry, this.options, this.redact);
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    try {
      await child.ready(this.options.startTimeoutMs ?? 10_000);
    } catch (error) {
      await child.kill();
      throw error;
    }
    if (this.stopped) {
      await child.kill();
      throw new ActionProcessError('This ActionProcess was stopped; start a new one.');
    }
    return child;
  }
}

interface CurrentRun {
  readonly id: number;
  readonly triggerId: TriggerId;
  readonly startedMs: number;
  readonly emits: Promise<unknown>[];
  readonly finish: (result: ActionRunResult) => void;
}

/** One child process and the run it is doing. */
class ActionChild {
  public readonly process: ChildProcess;
  public readonly exited: Promise<void>;
  public alive = true;
  private current: CurrentRun | undefined;
  private nextRun = 0;
  private fatalError: { name: string; message: string } | undefined;
  private stderrTail = '';
  private readonly listeners = new Set<(message: ChildMessage) => void>();

  public constructor(
    entry: ChildEntry,
    private readonly options: ActionProcessOptions,
    private readonly redact: (text: string) => string,
  ) {
    this.process = fork(entry.path, [], {
      execPath: process.execPath,
      execArgv: [...entry.execArgv],
      env: childEnvironment(),
      // stdout is dropped: what the action prints outside console.* is neither captured nor redacted.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    trackLive(this.process);
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    this.process.on('message', (message: ChildMessage) => this.receive(message));
    this.exited = new Promise((resolve) => {
      const gone = (code: number | null, signal: NodeJS.Signals | null) => {
        if (!this.alive) return;
        this.alive = false;
        untrackLive(this.process);
        this.onExit(code, signal);
        resolve();
      };
      this.process.once('exit', gone);
      // A process that could not be spawned at all reports only 'error'. Other errors (a send to a
      // closed channel) are followed by 'exit'.
      this.process.on('error', () => {
        if (this.process.pid === undefined) gone(null, null);
      });
    });
  }

  public ready(timeoutMs: number): Promise<void> {
    const init: ParentMessage = {
      type: 'init',
      bundlePath: this.options.bundlePath,
      secrets: this.options.secrets,
      moduleSecrets: this.options.moduleSecrets,
    };
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new ActionProcessError(`The action process did not start within ${timeoutMs} ms.`));
      }, timeoutMs);
      const listener = (message: ChildMessage) => {
        if (message.type === 'hello') {
          this.send(init);
        } else if (message.type === 'ready') {
          done();
          resolve();
        } else if (message.type === 'init-failed') {
          done();
          reject(
            new ActionProcessError(`The action bundle could not be loaded: ${this.redact(message.message)}`),
          );
        }
      };
      const onExit = () => {
        done();
        // What the child printed on its way out may still be in the pipe.
        const stderr = this.process.stderr;
        let reported = false;
        const report = () => {
          if (reported) return;
          reported = true;
          reject(new ActionProcessError(`The action process exited while starting.${this.diagnostics()}`));
        };
        if (stderr && !stderr.readableEnded) {
          stderr.once('end', report);
          setTimeout(report, 200).unref();
        } else report();
      };
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.process.off('exit', onExit);
      };
      this.listeners.add(listener);
      this.process.once('exit', onExit);
      if (!this.alive) onExit();
    });
  }

  public run(event: object, options: RunOptions): Promise<ActionRunResult> {
    const id = this.nextRun++;
    const startedMs = Date.now();
    return new Promise<ActionRunResult>((resolve) => {
      const timer = setTimeout(
        () => {
          this.finishRun(id, {
            status: 'timed_out',
            startedAt: new Date(startedMs).toISOString(),
            endedAt: new Date().toISOString(),
            durationMs: Date.now() - startedMs,
            logs: [],
            error: {
              name: 'ActionTimeoutError',
              message: `The action did not finish within ${options.timeoutMs} ms and its process was stopped.`,
            },
          });
          void this.kill();
        },
        options.timeoutMs + (this.options.killGraceMs ?? 250),
      );
      this.current = {
        id,
        triggerId: options.triggerId,
        startedMs,
        emits: [],
        finish: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      this.send({
        type: 'run',
        id,
        event,
        handlerName: options.handlerName,
        triggerId: options.triggerId,
        timeoutMs: options.timeoutMs,
        maxLogBytes: this.options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES,
      });
    });
  }

  public kill(): Promise<void> {
    if (this.alive) this.process.kill('SIGKILL');
    return this.exited;
  }

  private receive(message: ChildMessage): void {
    for (const listener of this.listeners) listener(message);
    switch (message.type) {
      case 'result': {
        const current = this.current;
        if (current?.id !== message.id) return;
        const result: ActionRunResult = {
          ...this.sanitize(message.result, current),
          recorded: sanitizeRecording(current.triggerId, message.recorded, this.redact),
        };
        // Events the action emitted reach the bus before its run is reported, even those it did not await.
        void Promise.allSettled(current.emits).then(() => this.finishRun(message.id, result));
        return;
      }
      case 'emit':
        this.emit(message.id, message.detailType, message.detail);
        return;
      case 'fatal':
        this.fatalError = {
          name: this.redact(String(message.error?.name)),
          message: this.redact(String(message.error?.message)),
        };
        return;
    }
  }

  private emit(id: number, detailType: unknown, detail: unknown): void {
    if (!this.current) {
      // Its run was already reported: an event published now would belong to no run.
      const message = 'api.emit was called after the run had ended; the event was not published.';
      this.send({ type: 'emitted', id, error: { name: 'EmitRejectedError', message } });
      return;
    }
    const publish = (async () => {
      const event = validateEmit(detailType, detail);
      await this.options.onEmit(event.detailType, event.detail);
    })();
    this.current.emits.push(publish);
    publish.then(
      () => this.send({ type: 'emitted', id }),
      (error: unknown) => {
        const name = error instanceof EmitRejectedError ? error.name : 'EmitFailedError';
        const message = error instanceof Error ? error.message : String(error);
        this.send({ type: 'emitted', id, error: { name, message: this.redact(message) } });
      },
    );
  }

  private finishRun(id: number, result: ActionRunResult): void {
    const current = this.current;
    if (current?.id !== id) return;
    this.current = undefined;
    current.finish(result);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const current = this.current;
    if (!current) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const why = this.fatalError
      ? ` after an uncaught ${this.fatalError.name}: ${this.fatalError.message}`
      : '';
    this.finishRun(current.id, {
      status: 'failed',
      startedAt: new Date(current.startedMs).toISOString(),
      endedAt: new Date().toISOString(),
      durationMs: Date.now() - current.startedMs,
      logs: [],
      error: { name: 'ActionProcessExitedError', message: `The action process ${how} during the run${why}.` },
    });
  }

  /** The child runs the action's code, so its report is checked and redacted again rather than trusted. */
  private sanitize(result: ExecutionResult, current: CurrentRun): ExecutionResult {
    const statuses: readonly ExecutionStatus[] = ['succeeded', 'failed', 'timed_out'];
    const text = (value: unknown, max: number) => this.redact(String(value)).slice(0, max);
    if (!result || typeof result !== 'object' || !statuses.includes(result.status)) {
      return {
        status: 'failed',
        startedAt: new Date(current.startedMs).toISOString(),
        endedAt: new Date().toISOString(),
        durationMs: Date.now() - current.startedMs,
        logs: [],
        error: { name: 'ActionProcessError', message: 'The action process sent a malformed result.' },
      };
    }
    const maxLogBytes = this.options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    return {
      status: result.status,
      startedAt: text(result.startedAt, 40),
      endedAt: text(result.endedAt, 40),
      durationMs: Number(result.durationMs) || 0,
      logs: Array.isArray(result.logs)
        ? result.logs.slice(0, 1000).map((line) => text(line, maxLogBytes))
        : [],
      ...(result.error
        ? { error: { name: text(result.error.name, 200), message: text(result.error.message, 4096) } }
        : {}),
    };
  }

  private send(message: ParentMessage): void {
    if (!this.alive || !this.process.connected) return;
    this.process.send(message, (error) => {
      // A send that fails means the child is gone or going; 'exit' reports it.
      if (error) void this.kill();
    });
  }

  private diagnostics(): string {
    const tail = this.redact(this.stderrTail.trim());
    return tail ? ` Its last output:\n${tail}` : '';
  }
}

function childEnvironment(): NodeJS.ProcessEnv {
  return scrubbedEnvironment(CHILD_ENVIRONMENT);
}

/**
 * Compiled, the child is child.js beside this file. From the TypeScript sources (vitest, `npm start`), it is
 * bundled once per process with esbuild: a plain-JavaScript child starts in about 50 ms, against 300 ms or
 * more through tsx's loader, and every timeout costs a cold start. Without esbuild (a devDependency), the
 * child runs through tsx's loader, as `npm start` itself does.
 */
function defaultChildEntry(): Promise<ChildEntry> {
  sourceChildEntry ??= resolveChildEntry().catch((error: unknown) => {
    sourceChildEntry = undefined;
    throw error;
  });
  return sourceChildEntry;
}

let sourceChildEntry: Promise<ChildEntry> | undefined;

async function resolveChildEntry(): Promise<ChildEntry> {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return { path: join(dirname(here), 'child.js'), execArgv: [] };
  const source = join(dirname(here), 'child.ts');
  const esbuild = await import('esbuild').catch(() => undefined);
  if (!esbuild) {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return { path: source, execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  const built = await esbuild.build({
    entryPoints: [source],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    logLevel: 'silent',
    // The repository's tsconfig.json is for type checking; nothing in it changes what the child does.
    tsconfigRaw: {},
  });
  const code = Buffer.from(built.outputFiles[0]?.contents ?? []);
  return { path: await writeBuiltChild(code), execArgv: [] };
}

/**
 * Writes the built child under the temporary directory, named by its hash, in a directory of this user's
 * that nobody else can write to: test workers are killed rather than exited, so a per-process directory
 * would be left behind each time, while this one holds one file per version of the child.
 */
async function writeBuiltChild(code: Buffer): Promise<string> {
  const uid = process.getuid?.();
  const directory = join(tmpdir(), `a0bridge-action-child-${uid ?? 'user'}`);
  await mkdir(directory, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const stats = await lstat(directory);
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid) || (stats.mode & 0o022) !== 0) {
    throw new ActionProcessError(
      `${directory} must be a directory owned by this user and writable by no one else, to hold the action child.`,
    );
  }
  const path = join(directory, `child-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
  const existing = await readFile(path).catch(() => undefined);
  if (!existing?.equals(code)) {
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, code, { mode: 0o600 });
    await rename(partial, path);
  }
  return path;
}

// Children outlive neither a normal exit nor process.exit() of this process. (Nothing can help when this
// process is itself killed with SIGKILL; a child then exits when it next finds its IPC channel closed.)
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackLive(child: ChildProcess): void {
  live.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const running of live) running.kill('SIGKILL');
  });
}

function untrackLive(child: ChildProcess): void {
  live.delete(child);
}
