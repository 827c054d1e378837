/** `a0bridge modules …` in-process, against the real handler on moto, and its SigV4 signing. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagementClient, regionOfFunctionUrl } from '../../cli/client';
import { stopEsbuild } from '../../lambdas/modules/adapters/esbuild-builder';
import { captureOutput, findLeaks } from './support/capture';
import { runCli } from './support/cli-io';
import { type ManagementServer, startManagementServer } from './support/server';

const SERVICE_URL = 'https://logs.cli.example/ingest?k=cl1-service-url';
const API_KEY = 'cli-api-key-0a1b2c3d4e5f';
const PROMPTED = 'cli-prompted-value-99zz';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('a0bridge modules, against the local stack', () => {
  let server: ManagementServer;
  let output: ReturnType<typeof captureOutput>;
  const transcripts: string[] = [];
  let codeFile: string;

  async function a0(args: string[], options: { stdin?: string; tty?: boolean; prompt?: string } = {}) {
    const run = await runCli(['modules', ...args], {
      ...options,
      tty: options.tty ?? false,
      env: { A0BRIDGE_ENDPOINT: server.url, A0BRIDGE_TOKEN: server.managementToken },
    });
    transcripts.push(run.stdout, run.stderr, ...run.prompts);
    return { code: run.code, stdout: run.stdout, stderr: run.stderr } satisfies Run;
  }

  beforeAll(async () => {
    output = captureOutput();
    server = await startManagementServer({ POWERTOOLS_LOG_LEVEL: 'INFO' });
    const dir = await mkdtemp(join(tmpdir(), 'a0bridge-cli-'));
    codeFile = join(dir, 'logger.js');
    await writeFile(
      codeFile,
      "module.exports = { sendLog: async (code, message) => fetch(actions.secrets.SERVICE_URL, { method: 'POST', headers: { 'X-API-Key': actions.secrets.API_KEY }, body: JSON.stringify({ code, message }) }) };\n",
    );
  });

  afterAll(async () => {
    await server?.close();
    await stopEsbuild();
    output?.restore();
  });

  it('walks the seed journey: create, secrets, code, publish, version history', async () => {
    const created = await a0(['create', 'logger']);
    const url = await a0(['secrets', 'set', 'logger', 'SERVICE_URL'], { stdin: `${SERVICE_URL}\n` });
    const key = await a0(['secrets', 'set', 'logger', 'API_KEY'], { stdin: API_KEY });
    const saved = await a0(['update', 'logger', '--code', codeFile]);
    const published = await a0(['publish', 'logger']);
    const history = await a0(['versions', 'logger']);
    const listed = await a0(['list']);
    const secrets = await a0(['secrets', 'list', 'logger']);

    expect(created).toMatchObject({ code: 0, stdout: expect.stringContaining('Created module logger') });
    expect(url.code).toBe(0);
    expect(key.code).toBe(0);
    expect(saved.stdout).toContain('Publish it with: npm run a0bridge -- modules publish logger');
    expect(published.stdout).toMatch(/Published logger version 1 \(.+\) in \d+ ms\./);
    expect(history.stdout).toMatch(/^v1\s+\S+\s+.+API_KEY, SERVICE_URL\s+-$/m);
    expect(listed.stdout).toMatch(/^logger\s+\S+\s+v1\s+yes\s+2\s+0\s+0\s/m);
    expect(
      secrets.stdout
        .split('\n')
        .slice(1, 3)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(['API_KEY', 'SERVICE_URL']);
  });

  it('prints the API JSON with --json, for scripts', async () => {
    const result = await a0(['get', 'logger', '--json']);
    const body = JSON.parse(result.stdout);

    expect(body).toMatchObject({ name: 'logger', latest_version_number: 1, all_changes_published: true });
    expect(body.secrets.map((secret: { name: string }) => secret.name)).toEqual(['API_KEY', 'SERVICE_URL']);
  });

  it('prompts for a secret value without echo on a terminal, and never takes one from the command line', async () => {
    const prompted = await a0(['secrets', 'set', 'logger', 'PROMPTED'], { tty: true, prompt: PROMPTED });
    const onArgv = await a0(['secrets', 'set', 'logger', 'ON_ARGV', 'value-on-argv']);
    const names = JSON.parse((await a0(['secrets', 'list', 'logger', '--json'])).stdout);

    expect(prompted.code).toBe(0);
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toContain('never from the command line');
    expect(names.map((secret: { name: string }) => secret.name)).toEqual([
      'API_KEY',
      'PROMPTED',
      'SERVICE_URL',
    ]);
  });

  it('adds and removes secrets and dependencies without losing the others, and rolls back', async () => {
    const removed = await a0(['secrets', 'rm', 'logger', 'PROMPTED']);
    const missing = await a0(['secrets', 'rm', 'logger', 'NOPE']);
    const draft = JSON.parse((await a0(['get', 'logger', '--json'])).stdout);
    const rollback = await a0(['rollback', 'logger', '1']);
    const again = await a0(['rollback', 'logger', 'v1']);
    const version = await a0(['versions', 'logger', '1']);

    expect(removed.code).toBe(0);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('has no secret NOPE') });
    expect(draft.secrets.map((secret: { name: string }) => secret.name)).toEqual(['API_KEY', 'SERVICE_URL']);
    expect(rollback.code).toBe(0);
    expect(again).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Error 409 (draft_equals_version)'),
    });
    expect(version.stdout).toContain('--- code ---');
  });

  it('reports API errors with their status and errorCode, and deletes with --yes', async () => {
    const duplicate = await a0(['create', 'logger']);
    const unknown = await a0(['get', 'nothing-here']);
    const deleted = await a0(['delete', 'logger', '--yes']);

    expect(duplicate).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Error 409 (module_conflict)'),
    });
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('No module is named') });
    expect(deleted).toMatchObject({ code: 0, stdout: expect.stringContaining('Deleted module logger') });
  });

  it('never printed a secret value, nor logged one', () => {
    expect(findLeaks([...transcripts, ...output.lines], [SERVICE_URL, API_KEY, PROMPTED])).toEqual([]);
  });
});

describe('signing for a deployed stack', () => {
  it('signs requests to a Function URL with SigV4 for the lambda service, region from the URL', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example' });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const seen: { url: string; headers: Record<string, string>; body?: string }[] = [];
    const fakeFetch = (async (url: URL, init: RequestInit) => {
      seen.push({
        url: String(url),
        headers: init.headers as Record<string, string>,
        body: init.body as string,
      });
      return new Response(JSON.stringify({ modules: [], total: 0 }), { status: 200 });
    }) as unknown as typeof fetch;
    try {
      const client = new ManagementClient({
        endpoint: 'https://abc123xyz.lambda-url.eu-west-1.on.aws/',
        fetch: fakeFetch,
      });

      await client.request('POST', '/api/v2/actions/modules', { body: { name: 'x', code: '' } });

      const [request] = seen;
      expect(request?.url).toBe('https://abc123xyz.lambda-url.eu-west-1.on.aws/api/v2/actions/modules');
      expect(request?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
      );
      expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(request?.body).toBe('{"name":"x","code":""}');
    } finally {
      process.env = saved;
    }
  });

  it('does not sign loopback requests unless told to, and reads the region of a Function URL', () => {
    expect(regionOfFunctionUrl('abc.lambda-url.ap-southeast-2.on.aws')).toBe('ap-southeast-2');
    expect(regionOfFunctionUrl('127.0.0.1')).toBeUndefined();
    expect(() => new ManagementClient({ endpoint: 'http://127.0.0.1:3000' })).not.toThrow();
    expect(() => new ManagementClient({ endpoint: 'https://example.test', sign: true })).toThrow(
      'Signing needs a region',
    );
  });
});
