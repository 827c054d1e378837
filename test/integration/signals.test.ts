/**
 * `npm start` stops everything it started on SIGTERM and SIGINT, whether the signal is sent to npm (as docker
 * stop, systemd and CI runners do, to the process they started) or to node: the HTTP server, moto_server,
 * esbuild's service and the deployed actions' child processes. Spawned exactly as a user runs it, through npm.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../modules/support/cli-io';
import { isRunning, processTree, type TreeProcess } from '../support/process-tree';

/** Every process each test started, killed in afterAll should a test fail halfway. */
const started: TreeProcess[] = [];
const spawned: ChildProcessWithoutNullStreams[] = [];

afterAll(() => {
  for (const process of started.filter(isRunning)) {
    try {
      globalThis.process.kill(process.pid, 'SIGKILL');
    } catch {
      // gone between the check and the kill
    }
  }
  for (const child of spawned) child.kill('SIGKILL');
});

class NpmStart {
  public output = '';
  public readonly child: ChildProcessWithoutNullStreams;
  public readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  public constructor() {
    // A process group of its own, so that nothing the test sends reaches vitest's group.
    this.child = spawn('npm', ['start', '--', '--port', '0', '--token', 'signals-token'], {
      env: { ...process.env, AWS_ENDPOINT_URL: '' },
      stdio: 'pipe',
      detached: true,
    });
    spawned.push(this.child);
    const append = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    this.child.stdout.on('data', append);
    this.child.stderr.on('data', append);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  public async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) break;
      await pause(100);
    }
    throw new Error(`Timed out waiting for ${pattern}; output so far:\n${this.output}`);
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** Polls until none of `processes` runs, at most `timeoutMs`; returns those still running. */
async function leftAfter(processes: readonly TreeProcess[], timeoutMs: number): Promise<TreeProcess[]> {
  const deadline = Date.now() + timeoutMs;
  let running = processes.filter(isRunning);
  while (running.length > 0 && Date.now() < deadline) {
    await pause(100);
    running = running.filter(isRunning);
  }
  return running;
}

/** `npm start` serving, with one action deployed (so one action child process runs), and its whole tree. */
async function startWithAnAction() {
  const start = new NpmStart();
  const [, ingestUrl] = await start.waitFor(/Ingest URL\s+(http:\/\/127\.0\.0\.1:\d+\/)/);
  const [, motoUrl] = await start.waitFor(/AWS endpoint\s+(http:\/\/127\.0\.0\.1:\d+) \(moto_server/);
  const [, managementToken] = await start.waitFor(/Modules token\s+(\S+)/);
  await start.waitFor(/Routed events and action runs appear below/);
  const env = { A0BRIDGE_ENDPOINT: new URL(ingestUrl ?? '').origin, A0BRIDGE_TOKEN: managementToken };
  const code = 'exports.onExecuteAuth0Log = async () => {};';
  for (const [args, stdin] of [
    [['actions', 'create', 'signals-action'], undefined],
    [['actions', 'code', 'signals-action', '-'], code],
    [['actions', 'deploy', 'signals-action'], undefined],
  ] as const) {
    const run = await runCli([...args], { env, ...(stdin === undefined ? {} : { stdin }) });
    expect(run, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
  }
  const tree = processTree(start.child.pid as number);
  started.push(...tree);
  return { start, tree, ingestUrl: ingestUrl ?? '', motoUrl: `${motoUrl}/moto-api/` };
}

describe('npm start on a signal', () => {
  it.each([
    { signal: 'SIGTERM', to: 'npm' },
    { signal: 'SIGTERM', to: 'node' },
    { signal: 'SIGINT', to: 'npm' },
  ] as const)(
    'stops the server, moto_server and every child process on $signal sent to $to',
    {
      timeout: 120_000,
    },
    async ({ signal, to }) => {
      // GIVEN npm start serving, with moto_server, esbuild's service and an action's child process below it
      const { start, tree, ingestUrl, motoUrl } = await startWithAnAction();
      const node = tree.find(
        ({ command }) => command.includes('local/start.ts') && !command.startsWith('npm'),
      );
      expect(tree.map(({ command }) => command)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^npm start/),
          expect.stringMatching(/moto/),
          expect.stringMatching(/esbuild --service/),
          expect.stringMatching(/a0bridge-action-child-\d+\/child-\w+\.cjs/),
        ]),
      );
      expect(node).toBeDefined();
      expect(await answers(ingestUrl)).toBe(true);
      expect(await answers(motoUrl)).toBe(true);

      // WHEN only that one process gets the signal (not its group)
      process.kill(to === 'npm' ? (start.child.pid as number) : (node?.pid as number), signal);

      // THEN within a bounded time npm exits cleanly, and nothing of the tree runs or answers
      const exited = await Promise.race([start.exited, pause(20_000).then(() => 'still running' as const)]);
      const left = await leftAfter(tree, 5_000);
      expect(exited, start.output).toEqual({ code: 0, signal: null });
      expect(left.map(({ command }) => command)).toEqual([]);
      expect(await answers(ingestUrl)).toBe(false);
      expect(await answers(motoUrl)).toBe(false);
      expect(start.output).toContain(`Stopping (${signal})…`);
    },
  );
});

describe('npm start killed with SIGKILL', () => {
  it('leaves nothing running either: moto_server, esbuild and the action children leave with their parent', {
    timeout: 120_000,
  }, async () => {
    // GIVEN npm start serving, with an action deployed
    const { start, tree, ingestUrl, motoUrl } = await startWithAnAction();
    const node = tree.find(({ command }) => command.includes('local/start.ts') && !command.startsWith('npm'));
    expect(node).toBeDefined();

    // WHEN node is killed outright: nothing of it runs to stop its children
    process.kill(node?.pid as number, 'SIGKILL');

    // THEN each child notices its parent is gone and exits (moto_server: local/moto-launcher.py)
    const left = await leftAfter(tree, 10_000);
    expect(left.map(({ command }) => command)).toEqual([]);
    expect(await answers(ingestUrl)).toBe(false);
    expect(await answers(motoUrl)).toBe(false);
    expect(await start.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
