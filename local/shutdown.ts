/**
 * When `npm start` must stop: on the first SIGINT or SIGTERM, whether it reached this process from a
 * terminal's Ctrl-C, from `kill`, or relayed by npm; or, when npm started it, once npm is gone. That last case
 * is for a SIGTERM sent to npm when a shell sits between npm and node (`sh -c` passes no signal on, so npm
 * dies and node would be left serving), and for npm killed with SIGKILL: this process then has a new parent.
 */

/** A stop was asked for while `npm start` was still starting. */
export class StopRequestedError extends Error {
  public constructor(reason: string) {
    super(`Stopped while starting (${reason}).`);
    this.name = 'StopRequestedError';
  }
}

/** What the watch needs of `process`, so that a test can give it a fake one. */
export interface WatchedProcess {
  readonly ppid: number;
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownWatchOptions {
  /** @default process */
  readonly process?: WatchedProcess;
  /** Also stop when the parent process changes (the parent died). @default false */
  readonly watchParent?: boolean;
  /** How often the parent is checked. @default 500 */
  readonly parentPollMs?: number;
}

export interface ShutdownWatch {
  /** Resolves with the reason (`SIGTERM`, `parent process exited`) on the first request to stop. */
  readonly requested: Promise<string>;
  /** The reason, once a stop was asked for. */
  readonly reason: string | undefined;
  /** A check point for start-up: throws StopRequestedError once a stop was asked for. */
  throwIfRequested(): void;
  /**
   * Stops watching the parent. The signal listeners stay until this process exits: a signal that arrives
   * while stopping (npm relaying Ctrl-C) must not kill it halfway.
   */
  stopWatchingParent(): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Starts listening at once, so that a signal during start-up is not the default one that kills this process
 * and leaves its children (moto_server) running. Every later signal is taken too and ignored: Ctrl-C reaches
 * every process of the terminal's group and npm relays it once more, and a second signal must not kill the
 * process halfway through stopping.
 */
export function watchForShutdown(options: ShutdownWatchOptions = {}): ShutdownWatch {
  const proc = options.process ?? process;
  let reason: string | undefined;
  let resolve: (reason: string) => void = () => undefined;
  const requested = new Promise<string>((done) => {
    resolve = done;
  });
  const request = (why: string) => {
    if (reason !== undefined) return;
    reason = why;
    resolve(why);
  };
  const onSignal = (signal: NodeJS.Signals) => request(signal);
  for (const signal of SIGNALS) proc.on(signal, onSignal);

  const parent = proc.ppid;
  const poll = options.watchParent
    ? setInterval(() => {
        if (proc.ppid !== parent) request('parent process exited');
      }, options.parentPollMs ?? 500)
    : undefined;
  // Never what keeps this process alive.
  poll?.unref();

  return {
    requested,
    get reason() {
      return reason;
    },
    throwIfRequested: () => {
      if (reason !== undefined) throw new StopRequestedError(reason);
    },
    stopWatchingParent: () => {
      if (poll) clearInterval(poll);
    },
  };
}
