import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StopRequestedError, watchForShutdown } from '../../local/shutdown';

/** A stand-in for `process`: signals are emitted by the test, and the parent pid can change. */
class FakeProcess extends EventEmitter {
  public ppid = 100;
}

describe('watchForShutdown', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'asks to stop on %s, once, and takes the signals that follow',
    async (signal) => {
      // GIVEN a watch on a process
      const proc = new FakeProcess();
      const watch = watchForShutdown({ process: proc });
      expect(watch.reason).toBeUndefined();
      expect(() => watch.throwIfRequested()).not.toThrow();

      // WHEN the signal arrives twice (a terminal's Ctrl-C, then npm relaying it)
      proc.emit(signal, signal);
      proc.emit('SIGINT', 'SIGINT');

      // THEN the first one is the reason, and a listener is still there for later ones
      await expect(watch.requested).resolves.toBe(signal);
      expect(watch.reason).toBe(signal);
      expect(() => watch.throwIfRequested()).toThrow(StopRequestedError);
      expect(() => watch.throwIfRequested()).toThrow(`Stopped while starting (${signal}).`);
      expect(proc.listenerCount('SIGINT')).toBe(1);
      expect(proc.listenerCount('SIGTERM')).toBe(1);
    },
  );

  it('asks to stop once the parent process is gone, when told to watch it', async () => {
    const proc = new FakeProcess();
    const watch = watchForShutdown({ process: proc, watchParent: true, parentPollMs: 200 });

    vi.advanceTimersByTime(1000);
    expect(watch.reason).toBeUndefined();

    // npm died: this process was handed to init (or a subreaper)
    proc.ppid = 1;
    vi.advanceTimersByTime(200);

    await expect(watch.requested).resolves.toBe('parent process exited');
  });

  it('does not watch the parent unless told to, nor after stopWatchingParent()', () => {
    const proc = new FakeProcess();
    const unwatched = watchForShutdown({ process: proc });
    const stopped = watchForShutdown({ process: proc, watchParent: true, parentPollMs: 100 });
    stopped.stopWatchingParent();

    proc.ppid = 1;
    vi.advanceTimersByTime(1000);

    expect(unwatched.reason).toBeUndefined();
    expect(stopped.reason).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});
