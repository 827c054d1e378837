import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** `npm start` as a user runs it: a child process whose output we read until a pattern shows up. */
export class LocalStart {
  public output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;

  public constructor(args: string[]) {
    // Its own process group, so that Ctrl-C can be sent to the whole group as a terminal does.
    // The command of `npm start`, without npm around it.
    this.child = spawn('node_modules/.bin/node', ['--import', 'tsx', 'local/start.ts', ...args], {
      env: { ...process.env, AWS_ENDPOINT_URL: '' },
      stdio: 'pipe',
      detached: true,
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
  }

  public async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.output.match(pattern);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Timed out waiting for ${pattern}; output so far:\n${this.output}`);
  }

  public async interrupt(): Promise<number | null> {
    process.kill(-(this.child.pid as number), 'SIGINT');
    return this.exited;
  }

  /** Whether any process of its group (npm start, moto_server, action children) is still running. */
  public groupAlive(): boolean {
    try {
      process.kill(-(this.child.pid as number), 0);
      return true;
    } catch {
      return false;
    }
  }

  public kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(-(this.child.pid as number), 'SIGKILL');
    }
  }
}
