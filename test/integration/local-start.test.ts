import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { localAccessFile } from '../../cli/local-access';
import { runCli } from '../modules/support/cli-io';
import { emulator, uniqueName } from '../support/aws';

/** `npm start` as a user runs it: a child process whose output we read until a pattern shows up. */
class LocalStart {
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

  public kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(-(this.child.pid as number), 'SIGKILL');
    }
  }
}

let running: LocalStart | undefined;
afterEach(() => running?.kill());

async function postAndSeeRouted(start: LocalStart, token: string, logId: string) {
  const [, url] = await start.waitFor(/Ingest URL\s+(http:\/\/127\.0\.0\.1:\d+\/)/);
  const body = JSON.stringify([{ log_id: logId, data: { type: 'fp', date: '2026-11-22T10:00:00.000Z' } }]);
  const post = () =>
    fetch(url ?? '', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
  expect(await (await post()).json()).toEqual({ received: 1, published: 1, duplicates: 0, quarantined: 0 });
  await start.waitFor(new RegExp(`failed-logins\\s+fp\\s+.*log_id=${logId}`));
  expect(await (await post()).json()).toEqual({ received: 1, published: 0, duplicates: 1, quarantined: 0 });
}

describe('npm start', () => {
  it('starts its own moto_server, shows routed events, and stops everything on Ctrl-C', {
    timeout: 90_000,
  }, async () => {
    running = new LocalStart(['--port', '0', '--token', 'local-start-token']);
    const [, endpoint] = await running.waitFor(/AWS endpoint\s+(http:\/\/127\.0\.0\.1:\d+) \(moto_server/);
    await postAndSeeRouted(running, 'local-start-token', 'local-start-1');
    const [, modulesUrl] = await running.waitFor(/Modules API\s+(\S+)/);
    const [, managementToken, shownFile] = await running.waitFor(
      /Modules token\s+(\S+)\s+\(a0bridge reads it from (\S+)\)/,
    );
    const origin = new URL(modulesUrl ?? '').origin;
    const file = localAccessFile(new URL(origin).port);

    const anonymous = await fetch(modulesUrl ?? '');
    const modules = await fetch(modulesUrl ?? '', {
      headers: { authorization: `Bearer ${managementToken}` },
    });
    // The CLI as the README runs it, told only where the stack is: it finds the token on its own.
    const cli = await runCli(['modules', 'list'], { A0BRIDGE_ENDPOINT: origin });

    expect(managementToken).toMatch(/^[\w-]{32}$/);
    expect(managementToken).not.toBe('local-start-token');
    expect(file.endsWith(shownFile ?? '')).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ endpoint: origin, managementToken });
    expect(anonymous.status).toBe(401);
    expect(modules.status).toBe(200);
    expect(await modules.json()).toMatchObject({ modules: [] });
    expect(cli).toMatchObject({ code: 0, stdout: expect.stringContaining('0 module(s)') });

    expect(await running.interrupt()).toBe(0);
    await expect(fetch(`${endpoint}/moto-api/`)).rejects.toThrow();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('uses the emulator it is given and starts none', { timeout: 90_000 }, async () => {
    const busName = uniqueName('start-bus');
    running = new LocalStart([
      '--port',
      '0',
      '--token',
      't2',
      '--management-token',
      't2-management',
      '--aws-endpoint',
      emulator().endpoint,
      '--bus-name',
      busName,
    ]);
    await running.waitFor(new RegExp(`Event bus\\s+${busName}`));
    expect(running.output).not.toMatch(/Starting moto_server/);
    await postAndSeeRouted(running, 't2', 'local-start-2');
    const [, modulesUrl] = await running.waitFor(/Modules API\s+(\S+)/);
    const modules = await fetch(modulesUrl ?? '', { headers: { authorization: 'Bearer t2-management' } });
    expect(running.output).toMatch(/Modules token\s+t2-management\s/);
    expect(modules.status).toBe(200);
    expect(await running.interrupt()).toBe(0);
  });
});
