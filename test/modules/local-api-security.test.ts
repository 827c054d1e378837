/**
 * The local management API is on the same port as the ingest, which users tunnel to reach Auth0: it must
 * answer this machine's own tools only. Each request goes through the real local server and handler on moto.
 */
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  localAccessFile,
  readLocalAccess,
  removeLocalAccess,
  writeLocalAccess,
} from '../../cli/local-access';
import { stopEsbuild } from '../../lambdas/modules/adapters/esbuild-builder';
import { captureOutput } from './support/capture';
import { runCli } from './support/cli-io';
import { type ManagementServer, startManagementServer, storeOf } from './support/server';

const MODULES = '/api/v2/actions/modules';
const WRONG_TOKEN = 'wrong-token-5f9c1e7a2b';

interface RawResponse {
  readonly status: number;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: refusals are inspected field by field
  readonly body: any;
}

describe('the local management API', () => {
  let server: ManagementServer;
  let port: number;
  let output: ReturnType<typeof captureOutput>;

  /** node:http rather than fetch, which would not send a Host of our choosing. */
  function send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port, method, path, headers, setHost: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: response.statusCode ?? 0, text, body: parsed });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  const host = () => `127.0.0.1:${port}`;
  const bearer = () => `Bearer ${server.managementToken}`;
  const json = () => ({ host: host(), authorization: bearer(), 'content-type': 'application/json' });
  const moduleNames = async () =>
    (await storeOf(server).listModules({ offset: 0, limit: 100 })).items.map((module) => module.name);

  beforeAll(async () => {
    output = captureOutput();
    server = await startManagementServer({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    port = Number(new URL(server.url).port);
  });

  afterAll(async () => {
    await server?.close();
    await stopEsbuild();
    output?.restore();
  });

  describe('token', () => {
    it('answers 401 without a token, says where to find one, and creates nothing', async () => {
      const body = JSON.stringify({ name: 'no-token', code: '' });

      const response = await send(
        'POST',
        MODULES,
        { host: host(), 'content-type': 'application/json' },
        body,
      );

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, errorCode: 'unauthorized' });
      expect(response.body.message).toContain('No Authorization header was sent');
      expect(response.body.message).toContain('npm start');
      expect(response.body.message).toContain(`.a0bridge/local-${port}.json`);
      expect(await moduleNames()).not.toContain('no-token');
    });

    it('answers 401 to a wrong token without repeating it, and creates nothing', async () => {
      const body = JSON.stringify({ name: 'wrong-token', code: '' });

      const bare = await send('POST', MODULES, { ...json(), authorization: WRONG_TOKEN }, body);
      const bearerWrong = await send(
        'POST',
        MODULES,
        { ...json(), authorization: `Bearer ${WRONG_TOKEN}` },
        body,
      );

      for (const response of [bare, bearerWrong]) {
        expect(response.status).toBe(401);
        expect(response.body.message).toContain('holds no valid management token');
        expect(response.text).not.toContain(WRONG_TOKEN);
        expect(response.text).not.toContain(server.managementToken);
      }
      expect(await moduleNames()).not.toContain('wrong-token');
    });

    it('answers 401 to reads too', async () => {
      const response = await send('GET', MODULES, { host: host() });

      expect(response.status).toBe(401);
      expect(response.text).not.toContain('"modules"');
    });

    it('serves JSON with the right token', async () => {
      const created = await send('POST', MODULES, json(), JSON.stringify({ name: 'with-token', code: '' }));
      const listed = await send('GET', MODULES, { host: host(), authorization: bearer() });

      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'with-token', code: '' });
      expect(listed.status).toBe(200);
      expect(listed.body.modules.map((module: { name: string }) => module.name)).toContain('with-token');
    });
  });

  describe('content type', () => {
    it('answers 415 to a form body, naming the type, and creates nothing', async () => {
      const response = await send(
        'POST',
        MODULES,
        { ...json(), 'content-type': 'application/x-www-form-urlencoded' },
        'name=formed&code=module.exports%3D1',
      );

      expect(response.status).toBe(415);
      expect(response.body).toMatchObject({ statusCode: 415, errorCode: 'unsupported_media_type' });
      expect(response.body.message).toContain('"application/x-www-form-urlencoded"');
      expect(response.body.message).toContain('application/json');
      expect(await moduleNames()).not.toContain('formed');
    });

    it('answers 415 to JSON sent as text/plain, and creates nothing', async () => {
      const response = await send(
        'POST',
        MODULES,
        { ...json(), 'content-type': 'text/plain;charset=UTF-8' },
        JSON.stringify({ name: 'plain', code: '' }),
      );

      expect(response.status).toBe(415);
      expect(response.body.message).toContain('"text/plain"');
      expect(await moduleNames()).not.toContain('plain');
    });

    it('answers 415 to a body without a Content-Type', async () => {
      const headers: Record<string, string> = { host: host(), authorization: bearer() };

      const response = await send('POST', MODULES, headers, JSON.stringify({ name: 'untyped', code: '' }));

      expect(response.status).toBe(415);
      expect(response.body.message).toContain('no Content-Type');
      expect(await moduleNames()).not.toContain('untyped');
    });

    it('takes application/*+json and a charset', async () => {
      const response = await send(
        'POST',
        MODULES,
        { ...json(), 'content-type': 'application/vnd.api+json; charset=utf-8' },
        JSON.stringify({ name: 'plus-json', code: '' }),
      );

      expect(response.status).toBe(201);
    });
  });

  describe('Host and Origin', () => {
    it('answers 403 to a foreign Host, even with the token (DNS rebinding), and creates nothing', async () => {
      const rebound = await send(
        'POST',
        MODULES,
        { ...json(), host: `attacker.example:${port}` },
        JSON.stringify({ name: 'rebound', code: '' }),
      );
      const tunnelled = await send('GET', MODULES, { host: 'abc123.ngrok.app', authorization: bearer() });
      const otherPort = await send('GET', MODULES, {
        host: `127.0.0.1:${port + 1}`,
        authorization: bearer(),
      });

      expect(rebound.status).toBe(403);
      expect(rebound.body).toMatchObject({ statusCode: 403, errorCode: 'forbidden_host' });
      expect(rebound.body.message).toContain(`127.0.0.1:${port}`);
      expect(tunnelled.status).toBe(403);
      expect(otherPort.status).toBe(403);
      expect(await moduleNames()).not.toContain('rebound');
    });

    it('answers 403 to a foreign Origin, even with the token, and creates nothing', async () => {
      const body = JSON.stringify({ name: 'cross-site', code: '' });

      const foreign = await send('POST', MODULES, { ...json(), origin: 'https://attacker.example' }, body);
      const lookalike = await send(
        'POST',
        MODULES,
        { ...json(), origin: 'http://localhost.attacker.example' },
        body,
      );
      const opaque = await send('POST', MODULES, { ...json(), origin: 'null' }, body);

      expect(foreign.status).toBe(403);
      expect(foreign.body).toMatchObject({ errorCode: 'forbidden_origin' });
      expect(foreign.body.message).toContain('https://attacker.example');
      expect(lookalike.status).toBe(403);
      expect(opaque.status).toBe(403);
      expect(await moduleNames()).not.toContain('cross-site');
    });

    it('serves the loopback Host names and a loopback Origin', async () => {
      const headers = { authorization: bearer() };

      const statuses = await Promise.all([
        send('GET', MODULES, { ...headers, host: `localhost:${port}` }),
        send('GET', MODULES, { ...headers, host: `[::1]:${port}` }),
        send('GET', MODULES, { ...headers, host: host(), origin: `http://localhost:${port}` }),
        send('GET', MODULES, { ...headers, host: host(), origin: 'http://127.0.0.1:5173' }),
      ]);

      expect(statuses.map(({ status }) => status)).toEqual([200, 200, 200, 200]);
    });

    it('leaves the ingest paths to the ingest handler whatever the Host (tunnels)', async () => {
      const response = await send(
        'POST',
        '/',
        { host: 'abc123.ngrok.app', origin: 'https://attacker.example' },
        '[]',
      );

      // The test's ingest stand-in answers 404 to everything: the request reached it.
      expect(response.status).toBe(404);
      expect(response.text).toBe('no ingest in this test');
    });
  });

  describe('a0bridge', () => {
    it('finds the token npm start saved for the port, and sends it', async () => {
      const withoutFile = await runCli(['modules', 'list'], { env: { A0BRIDGE_ENDPOINT: server.url } });
      const file = await writeLocalAccess(port, {
        endpoint: server.url,
        managementToken: server.managementToken,
      });
      try {
        const withFile = await runCli(['modules', 'list'], { env: { A0BRIDGE_ENDPOINT: server.url } });

        expect(withoutFile).toMatchObject({ code: 1, stderr: expect.stringContaining('Error 401') });
        expect(file).toBe(localAccessFile(port));
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        expect(withFile).toMatchObject({ code: 0, stderr: '' });
        expect(withFile.stdout).toMatch(/^with-token\s/m);
      } finally {
        await removeLocalAccess(port, server.managementToken);
      }
      expect(await readLocalAccess(port)).toBeUndefined();
    });

    it('takes A0BRIDGE_TOKEN and --token', async () => {
      const fromEnv = await runCli(['modules', 'list'], {
        env: { A0BRIDGE_ENDPOINT: server.url, A0BRIDGE_TOKEN: server.managementToken },
      });
      const fromFlag = await runCli([
        'modules',
        'list',
        '--endpoint',
        server.url,
        '--token',
        server.managementToken,
      ]);

      expect(fromEnv.code).toBe(0);
      expect(fromFlag.code).toBe(0);
    });

    it('explains a 401 without repeating the token it sent', async () => {
      const refused = await runCli(['modules', 'list'], {
        env: { A0BRIDGE_ENDPOINT: server.url, A0BRIDGE_TOKEN: WRONG_TOKEN },
      });

      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Error 401 (unauthorized)');
      expect(refused.stderr).toContain(localAccessFile(port));
      expect(refused.stderr).not.toContain(WRONG_TOKEN);
    });

    it('never sends the local token to a deployed stack', async () => {
      const refused = await runCli([
        'modules',
        'list',
        '--endpoint',
        'https://abc123xyz.lambda-url.eu-west-1.on.aws',
        '--token',
        'local-only',
      ]);

      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('for the local stack');
    });
  });
});
