/**
 * The entry of an action's child process (started by ActionProcess in local-process.ts). It holds one
 * action bundle, its secret values (sent over IPC, never in the environment), and its `api.cache`, and
 * runs one event at a time on request, with the `api` of the run's trigger: the calls it records go back with
 * the result. It holds no AWS credentials: `api.emit` asks the parent to publish.
 *
 * Messages (protocol.ts), parent → child: init, run, emitted. Child → parent: hello, ready, init-failed,
 * result, emit, fatal.
 */
import { readFileSync } from 'node:fs';
import { createActionCache, type EmitPort } from './api';
import { evaluateActionBundle, type LoadedActionBundle } from './bundle';
import { createRedactor, describeFailure, type ExecutionResult, executeAction } from './execute';
import type { ChildMessage, ParentMessage } from './protocol';
import { createCallRecorder, createTriggerApi } from './recorded-api';

// Taken before any action code runs: the action shares this process and could replace process.send.
const channel = process.send?.bind(process);
if (!channel) {
  console.error('lambdas/actions/runtime/child.ts is started by ActionProcess, with an IPC channel.');
  process.exit(2);
}
const send = (message: ChildMessage, then?: () => void): void => {
  try {
    channel(message, undefined, undefined, then ? () => then() : undefined);
  } catch {
    // The parent has gone; 'disconnect' ends this process.
    then?.();
  }
};

interface Loaded {
  readonly bundle: LoadedActionBundle;
  readonly secrets: Readonly<Record<string, string>>;
  readonly moduleSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly redact: readonly string[];
}

let loaded: Loaded | undefined;
let actionExports: { value: unknown } | undefined;
let nextEmit = 0;
const pendingEmits = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
const cache = createActionCache();
const emit: EmitPort = (detailType, detail) =>
  new Promise<void>((resolve, reject) => {
    const id = nextEmit++;
    pendingEmits.set(id, { resolve, reject });
    send({ type: 'emit', id, detailType, detail });
  });

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'init':
      init(message);
      break;
    case 'run':
      void run(message);
      break;
    case 'emitted': {
      const pending = pendingEmits.get(message.id);
      pendingEmits.delete(message.id);
      if (message.error === undefined) pending?.resolve();
      else pending?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      break;
    }
  }
});

// An exception nobody catches (a throw in a timer, an unhandled rejection) ends the process, as Node's
// default does, after telling the parent why; the parent fails the current run with it.
const fatal = (error: unknown): void => {
  const redact = createRedactor(loaded?.redact ?? []);
  send({ type: 'fatal', error: describeFailure(error, redact) }, () => process.exit(70));
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
process.on('disconnect', () => process.exit(0));
send({ type: 'hello' });

function init(message: Extract<ParentMessage, { type: 'init' }>): void {
  try {
    const bundle = evaluateActionBundle(readFileSync(message.bundlePath), message.bundlePath);
    const moduleValues = Object.values(message.moduleSecrets).flatMap((values) => Object.values(values));
    loaded = {
      bundle,
      secrets: message.secrets,
      moduleSecrets: message.moduleSecrets,
      redact: [...Object.values(message.secrets), ...moduleValues],
    };
    send({ type: 'ready' });
  } catch (error) {
    send({ type: 'init-failed', message: error instanceof Error ? error.message : String(error) });
  }
}

async function run(message: Extract<ParentMessage, { type: 'run' }>): Promise<void> {
  if (!loaded) {
    send({ type: 'init-failed', message: 'A run was requested before the bundle was loaded.' });
    return;
  }
  const { bundle, moduleSecrets, secrets, redact } = loaded;
  const startedAt = new Date().toISOString();
  const recorder = createCallRecorder({ redact: createRedactor(redact) });
  // One api per run, so that a call made after its run (from a timer) is not recorded against the next.
  const api = createTriggerApi(message.triggerId, { cache, emit, record: recorder.record });
  let result: ExecutionResult;
  try {
    result = await executeAction({
      // The action's top-level code runs in the first run, so it is timed and its output captured.
      loadExports: () => {
        if (!actionExports) actionExports = { value: bundle.load({ moduleSecrets }) };
        return actionExports.value;
      },
      handlerName: message.handlerName,
      event: message.event,
      secrets,
      timeoutMs: message.timeoutMs,
      ...(message.maxLogBytes !== undefined ? { maxLogBytes: message.maxLogBytes } : {}),
      api,
      redact,
    });
  } catch (error) {
    // The run could not start (an overlapping run, a bad timeout): the parent's mistake, not the action's.
    result = {
      status: 'failed',
      startedAt,
      endedAt: new Date().toISOString(),
      durationMs: 0,
      logs: [],
      error: describeFailure(error, createRedactor(redact)),
    };
  }
  recorder.close();
  send({ type: 'result', id: message.id, result, recorded: recorder.recording() });
}
