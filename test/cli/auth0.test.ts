/** `a0bridge auth0 …` in-process, against a stand-in Auth0 tenant that checks bodies against the spec. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLocalAccess, writeLocalAccess } from '../../cli/local-access';
import { findLeaks } from '../modules/support/capture';
import { type CliInput, runCli } from '../modules/support/cli-io';
import { type FakeAuth0, startFakeAuth0 } from '../support/fake-auth0';

const INGEST_URL = 'https://abc123.lambda-url.eu-west-1.on.aws/';
const INGEST_TOKEN = 'ingest-token-7Qm2xR9vL4kP8sW1zT6y';
const OTHER_TOKEN = 'rotated-token-Hd83jKs02LqPz77Wq';
const LOCAL_TOKEN = 'local-ingest-token-Vb61nQ0cYx3e';
const EXPIRED_TOKEN = 'expired-management-token-P0o9I8u7';

/** Every secret any test handed to the CLI or the stand-in issued; none may appear in any output. */
const secrets: string[] = [INGEST_TOKEN, OTHER_TOKEN, LOCAL_TOKEN, EXPIRED_TOKEN];
const transcripts: string[] = [];
let fake: FakeAuth0;

async function a0(args: string[], input: CliInput = {}) {
  const run = await runCli(['auth0', ...args], input);
  transcripts.push(run.stdout, run.stderr, ...run.prompts);
  return run;
}

/** A machine-to-machine application's credentials and the ingest token, as the environment gives them. */
function clientEnv(extra: Record<string, string> = {}) {
  return {
    AUTH0_CLIENT_ID: fake.clientId,
    AUTH0_CLIENT_SECRET: fake.clientSecret,
    A0BRIDGE_INGEST_TOKEN: INGEST_TOKEN,
    ...extra,
  };
}

function connect(extra: string[] = [], input: CliInput = {}) {
  return a0(['connect', '--domain', fake.origin, '--url', INGEST_URL, ...extra], {
    env: clientEnv(),
    ...input,
  });
}

const writes = () =>
  fake.requests.filter(({ method, path }) => method !== 'GET' && path.startsWith('/api/v2/'));

beforeEach(async () => {
  fake = await startFakeAuth0();
  secrets.push(fake.clientSecret, fake.managementToken);
});

afterEach(async () => {
  secrets.push(...fake.issuedTokens);
  await fake.close();
});

afterAll(() => {
  expect(transcripts.length).toBeGreaterThan(40);
  expect(findLeaks(transcripts, secrets)).toEqual([]);
});

describe('a0bridge auth0 connect', () => {
  it('creates the Custom Webhook stream with the ingest URL, the token and JSON Array', async () => {
    const run = await connect();

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(
      `Created the log stream auth0-event-bridge (Custom Webhook) on ${fake.origin.slice(7)}`,
    );
    expect(run.stdout).toMatch(/endpoint: +https:\/\/abc123\.lambda-url\.eu-west-1\.on\.aws\/\n/);
    expect(fake.streams).toEqual([
      {
        id: expect.stringMatching(/^lst_/),
        name: 'auth0-event-bridge',
        type: 'http',
        status: 'active',
        sink: {
          httpEndpoint: INGEST_URL,
          httpAuthorization: `Bearer ${INGEST_TOKEN}`,
          httpContentFormat: 'JSONARRAY',
          httpContentType: 'application/json',
        },
      },
    ]);
    const [token, list, create] = fake.requests;
    expect(token).toMatchObject({
      method: 'POST',
      path: '/oauth/token',
      status: 200,
      body: {
        grant_type: 'client_credentials',
        client_id: fake.clientId,
        audience: `${fake.origin}/api/v2/`,
      },
    });
    expect(list).toMatchObject({ method: 'GET', path: '/api/v2/log-streams', status: 200 });
    expect(create).toMatchObject({ method: 'POST', path: '/api/v2/log-streams', status: 200 });
    expect(Object.keys(create?.body as object).sort()).toEqual(['name', 'sink', 'type']);
    expect(fake.requests).toHaveLength(3);
  });

  it('updates the stream it finds by name, and never creates a second one', async () => {
    await connect();
    const moved = await a0(
      ['connect', '--domain', fake.origin, '--url', 'https://xyz789.lambda-url.eu-west-1.on.aws/'],
      { env: clientEnv({ A0BRIDGE_INGEST_TOKEN: OTHER_TOKEN }) },
    );
    const again = await a0(
      ['connect', '--domain', fake.origin, '--url', 'https://xyz789.lambda-url.eu-west-1.on.aws/'],
      { env: clientEnv({ A0BRIDGE_INGEST_TOKEN: OTHER_TOKEN }) },
    );
    const lines = await connect(['--format', 'jsonlines', '--url', INGEST_URL]);

    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^Updated the log stream auth0-event-bridge \(lst_\w+\)/);
    expect(moved.stdout).toMatch(
      /endpoint: +https:\/\/abc123\.lambda-url\.eu-west-1\.on\.aws\/ → https:\/\/xyz789\.lambda-url\.eu-west-1\.on\.aws\//,
    );
    expect(moved.stdout).toMatch(/authorization: +replaced with Bearer <the ingest token> \(neither shown\)/);
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('is up to date: nothing to change'),
    });
    expect(lines.stdout).toMatch(/format: +JSONARRAY → JSONLINES/);
    expect(fake.streams).toHaveLength(1);
    expect(fake.streams[0]?.sink).toEqual({
      httpEndpoint: INGEST_URL,
      httpAuthorization: `Bearer ${INGEST_TOKEN}`,
      httpContentFormat: 'JSONLINES',
      httpContentType: 'application/json',
    });
    // One create, then one PATCH per change; each PATCH holds only what the update schema allows.
    expect(writes().map(({ method }) => method)).toEqual(['POST', 'PATCH', 'PATCH']);
    for (const patch of writes().slice(1)) expect(Object.keys(patch.body as object)).toEqual(['sink']);
  });

  it('prints what would change with --dry-run, and changes nothing', async () => {
    const wouldCreate = await connect(['--dry-run']);
    const nothingYet = [...fake.streams];
    await connect();
    const wouldUpdate = await a0(
      ['connect', '--domain', fake.origin, '--url', 'https://new.example.com/', '--dry-run', '--resume'],
      { env: clientEnv() },
    );
    const asJson = await a0(
      ['connect', '--domain', fake.origin, '--url', 'https://new.example.com/', '--dry-run', '--json'],
      { env: clientEnv({ A0BRIDGE_INGEST_TOKEN: OTHER_TOKEN }) },
    );

    expect(wouldCreate.code).toBe(0);
    expect(wouldCreate.stdout).toContain('Would create the log stream auth0-event-bridge (Custom Webhook)');
    expect(wouldCreate.stdout).toMatch(/authorization: +set \(not shown\)/);
    expect(wouldCreate.stdout).toContain('(Dry run: nothing was changed on 127.0.0.1:');
    expect(nothingYet).toEqual([]);
    expect(wouldUpdate.stdout).toMatch(/^Would update the log stream auth0-event-bridge/);
    expect(wouldUpdate.stdout).toMatch(/endpoint: +https:\/\/abc123\S+ → https:\/\/new\.example\.com\//);
    expect(wouldUpdate.stdout).not.toMatch(/status:/);
    expect(JSON.parse(asJson.stdout)).toEqual({
      dryRun: true,
      action: 'update',
      id: fake.streams[0]?.id,
      changes: [
        { field: 'endpoint', from: INGEST_URL, to: 'https://new.example.com/' },
        { field: 'authorization', from: '(not shown)', to: '(not shown)' },
      ],
      warnings: [],
    });
    expect(writes().map(({ method }) => method)).toEqual(['POST']);
    expect(fake.streams[0]?.sink.httpEndpoint).toBe(INGEST_URL);
  });

  it('re-activates a suspended stream with --resume, and says how without it', async () => {
    await connect();
    const id = fake.streams[0]?.id ?? '';
    fake.setStatus(id, 'suspended');

    const without = await connect();
    const stillSuspended = fake.streams[0]?.status;
    const resumed = await connect(['--resume']);

    expect(without.code).toBe(0);
    expect(without.stdout).toContain('is up to date');
    expect(without.stderr).toContain('Auth0 suspended the stream after repeated delivery failures');
    expect(without.stderr).toContain(`a0bridge auth0 connect --domain ${fake.origin} --resume`);
    expect(stillSuspended).toBe('suspended');
    expect(resumed).toMatchObject({ code: 0, stderr: '' });
    expect(resumed.stdout).toMatch(/status: +suspended → active/);
    expect(writes().at(-1)).toMatchObject({
      method: 'PATCH',
      path: `/api/v2/log-streams/${id}`,
      body: { status: 'active' },
    });
    expect(Object.keys(writes().at(-1)?.body as object)).toEqual(['status']);
    expect(fake.streams[0]?.status).toBe('active');
  });

  it('takes the local stack’s ingest URL and token from its file, and warns that Auth0 needs https', async () => {
    const { server, port } = await reservePort();
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      const none = await a0(['connect', '--domain', fake.origin, '--endpoint', endpoint], {
        env: clientEnv(),
      });
      await writeLocalAccess(port, {
        endpoint,
        managementToken: 'auth0-test-management',
        ingestUrl: `${endpoint}/`,
        ingestToken: LOCAL_TOKEN,
      });
      const local = await a0(['connect', '--domain', fake.origin, '--endpoint', endpoint], {
        env: clientEnv(),
      });
      const tunnel = await a0(
        [
          'connect',
          '--domain',
          fake.origin,
          '--endpoint',
          endpoint,
          '--url',
          'https://bridge.trycloudflare.com/',
          '--local',
        ],
        { env: clientEnv() },
      );

      expect(none.code).toBe(2);
      expect(none.stderr).toContain(`No --url, and no local stack on port ${port}`);
      expect(local.code).toBe(1);
      expect(local.stderr).toContain(
        `Warning: The ingest URL ${endpoint}/ is http: Auth0 sends log streams to https:// endpoints only`,
      );
      expect(local.stderr).toContain('https tunnel');
      // The stand-in refuses it as Auth0 does (the spec's ^https:// pattern), and says so.
      expect(local.stderr).toContain('Auth0 answered 400 (invalid_body): Payload validation error');
      expect(tunnel).toMatchObject({ code: 0, stderr: '' });
      expect(fake.streams.map((stream) => stream.sink)).toEqual([
        {
          httpEndpoint: 'https://bridge.trycloudflare.com/',
          httpAuthorization: `Bearer ${LOCAL_TOKEN}`,
          httpContentFormat: 'JSONARRAY',
          httpContentType: 'application/json',
        },
      ]);
    } finally {
      await removeLocalAccess(port, 'auth0-test-management');
      server.close();
    }
  });

  it('refuses a stream of another type under the name', async () => {
    fake.seed({
      name: 'auth0-event-bridge',
      type: 'eventbridge',
      status: 'active',
      sink: { awsAccountId: '123456789012', awsRegion: 'eu-west-1' },
    });

    const run = await connect();

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is of type eventbridge, not a Custom Webhook \(http\); pick another --name/);
    expect(writes()).toEqual([]);
  });
});

describe('a0bridge auth0 status', () => {
  it('shows the status, endpoint and format, never the token', async () => {
    await connect(['--name', 'bridge-prod']);

    const run = await a0(['status', '--domain', fake.origin, '--name', 'bridge-prod'], {
      env: { AUTH0_MANAGEMENT_TOKEN: fake.managementToken },
    });
    const json = await a0(['status', '--domain', fake.origin, '--name', 'bridge-prod', '--json'], {
      env: { AUTH0_MANAGEMENT_TOKEN: fake.managementToken },
    });

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Log stream bridge-prod \(lst_\w+\) on 127\.0\.0\.1:\d+\n/);
    expect(run.stdout).toMatch(/ status: +active\n/);
    expect(run.stdout).toMatch(/ endpoint: +https:\/\/abc123\.lambda-url\.eu-west-1\.on\.aws\/\n/);
    expect(run.stdout).toMatch(/ format: +JSONARRAY\n/);
    expect(run.stdout).toMatch(/ authorization: +set \(not shown\)\n/);
    expect(run.stdout).toMatch(/ filters: +none: every category is sent\n/);
    expect(JSON.parse(json.stdout).stream).toMatchObject({
      name: 'bridge-prod',
      status: 'active',
      sink: { httpEndpoint: INGEST_URL, httpAuthorization: '(not shown)', httpContentFormat: 'JSONARRAY' },
    });
    expect(fake.requests.filter(({ path }) => path.startsWith('/api/v2/log-streams/lst_'))).toHaveLength(2);
  });

  it('exits 1 for a suspended stream, and for none, saying what to do', async () => {
    await connect();
    fake.setStatus(fake.streams[0]?.id ?? '', 'suspended');
    const env = { AUTH0_MANAGEMENT_TOKEN: fake.managementToken };

    const suspended = await a0(['status', '--domain', fake.origin], { env });
    const missing = await a0(['status', '--domain', fake.origin, '--name', 'nope'], { env });

    expect(suspended.code).toBe(1);
    expect(suspended.stdout).toMatch(/ status: +suspended\n/);
    expect(suspended.stderr).toContain('--resume');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `No log stream is named "nope" on ${fake.origin.slice(7)}; it has: auth0-event-bridge (http, suspended).`,
    );
  });
});

describe('a0bridge auth0 credentials', () => {
  it('says which variables to set when there are no credentials, and asks nothing of Auth0', async () => {
    const none = await a0(['status', '--domain', fake.origin]);
    const noSecret = await a0(['status', '--domain', fake.origin], { env: { AUTH0_CLIENT_ID: 'abc' } });
    const noIngestToken = await a0(['connect', '--domain', fake.origin, '--url', INGEST_URL], {
      env: { AUTH0_MANAGEMENT_TOKEN: fake.managementToken },
    });
    const noDomain = await a0(['status'], { env: { AUTH0_MANAGEMENT_TOKEN: fake.managementToken } });

    expect(none.code).toBe(2);
    expect(none.stderr).toContain('set AUTH0_MANAGEMENT_TOKEN');
    expect(none.stderr).toContain('or AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET');
    expect(none.stderr).toContain('never taken from the command line');
    expect(noSecret).toMatchObject({ code: 2, stderr: expect.stringContaining('set AUTH0_CLIENT_SECRET') });
    expect(noIngestToken).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('set A0BRIDGE_INGEST_TOKEN'),
    });
    expect(noDomain).toMatchObject({ code: 2, stderr: expect.stringContaining('Pass --domain') });
    expect(fake.requests).toEqual([]);
  });

  it('asks for a missing secret on a terminal, without echo', async () => {
    const clientSecret = await a0(['status', '--domain', fake.origin], {
      env: { AUTH0_CLIENT_ID: fake.clientId, AUTH0_DOMAIN: 'ignored.example.com' },
      prompt: fake.clientSecret,
    });
    const ingestToken = await a0(['connect', '--domain', fake.origin, '--url', INGEST_URL], {
      env: { AUTH0_MANAGEMENT_TOKEN: fake.managementToken },
      prompt: INGEST_TOKEN,
    });

    // No stream yet: status answers 1 after reaching Auth0 with the prompted secret.
    expect(clientSecret).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('No log stream is named'),
    });
    expect(clientSecret.prompts).toEqual([`Client secret of the application ${fake.clientId} (not shown): `]);
    expect(ingestToken.code).toBe(0);
    expect(ingestToken.prompts).toEqual([
      'Ingest token (the ReadTokenCommand output prints it; not shown): ',
    ]);
    expect(fake.streams[0]?.sink.httpAuthorization).toBe(`Bearer ${INGEST_TOKEN}`);
  });

  it('takes no secret from the command line, and never echoes one given there', async () => {
    const token = await connect(['--token', OTHER_TOKEN]);
    const flag = await connect([`--client-secret=${OTHER_TOKEN}`]);
    const word = await connect([OTHER_TOKEN]);

    expect(token).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('takes no token on the command line'),
    });
    expect(flag).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--client-secret'"),
    });
    expect(word).toMatchObject({ code: 2, stderr: expect.stringContaining('takes options only') });
    expect(fake.requests).toEqual([]);
  });

  it('refuses a token a header cannot carry, without showing it', async () => {
    const newline = await a0(['status', '--domain', fake.origin], {
      env: { AUTH0_MANAGEMENT_TOKEN: `${EXPIRED_TOKEN}\nX-Injected: 1` },
    });
    const bearer = await connect([], { env: clientEnv({ A0BRIDGE_INGEST_TOKEN: `Bearer ${INGEST_TOKEN}` }) });

    expect(newline).toMatchObject({
      code: 2,
      stderr:
        'AUTH0_MANAGEMENT_TOKEN: the Management API token must be printable ASCII without spaces (it is not shown).\n',
    });
    expect(bearer).toMatchObject({
      code: 2,
      stderr: 'A0BRIDGE_INGEST_TOKEN: give the ingest token alone, without "Bearer " (a0bridge adds it).\n',
    });
    expect(fake.requests).toEqual([]);
  });

  it('explains refused credentials and missing scopes', async () => {
    const wrongSecret = await a0(['status', '--domain', fake.origin], {
      env: { AUTH0_CLIENT_ID: fake.clientId, AUTH0_CLIENT_SECRET: 'not-the-secret' },
    });
    const wrongToken = await a0(['status', '--domain', fake.origin], {
      env: { AUTH0_MANAGEMENT_TOKEN: EXPIRED_TOKEN },
    });
    const wrongAudience = await a0(
      ['status', '--domain', fake.origin, '--audience', 'https://login.example.com/api/v2/'],
      { env: { AUTH0_CLIENT_ID: fake.clientId, AUTH0_CLIENT_SECRET: fake.clientSecret } },
    );
    const readOnly = await startFakeAuth0({ clientScopes: ['read:log_streams'] });
    secrets.push(readOnly.clientSecret, readOnly.managementToken);
    const noScope = await a0(['connect', '--domain', readOnly.origin, '--url', INGEST_URL], {
      env: {
        AUTH0_CLIENT_ID: readOnly.clientId,
        AUTH0_CLIENT_SECRET: readOnly.clientSecret,
        A0BRIDGE_INGEST_TOKEN: INGEST_TOKEN,
      },
    });
    secrets.push(...readOnly.issuedTokens);
    await readOnly.close();

    expect(wrongSecret).toMatchObject({ code: 1 });
    expect(wrongSecret.stderr).toContain(
      'Auth0 answered 401 (access_denied): Unauthorized\nCheck AUTH0_CLIENT_ID',
    );
    expect(wrongToken.stderr).toContain(
      'Auth0 answered 401 (invalid_token): Invalid token\nThe Management API token was refused',
    );
    expect(wrongAudience.stderr).toContain(
      'Auth0 answered 403 (access_denied): Service not found: https://login.example.com/api/v2/',
    );
    expect(noScope).toMatchObject({ code: 1 });
    expect(noScope.stderr).toContain(
      'Auth0 answered 403 (insufficient_scope): Insufficient scope; expected any of: create:log_streams\nThe token needs the scopes read:log_streams, create:log_streams and update:log_streams.',
    );
    expect(readOnly.streams).toEqual([]);
  });

  it('drops an Auth0 error message that repeats the token, whole or in part', async () => {
    fake.failNextWrite(400, (body) => ({
      statusCode: 400,
      error: 'Bad Request',
      message: `Payload validation error: ${body}`,
      errorCode: 'invalid_body',
    }));
    const whole = await connect();
    fake.failNextWrite(400, () => ({
      statusCode: 400,
      error: 'Bad Request',
      message: `Invalid authorization "Bearer ${INGEST_TOKEN.slice(0, 12)}…"`,
      errorCode: 'invalid_body',
    }));
    const part = await connect();

    for (const run of [whole, part]) {
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        "Auth0 answered 400 (invalid_body): Auth0's message is not shown: it repeats part of a secret the request carried\n",
      );
    }
    expect(fake.streams).toEqual([]);
  });

  it('refuses a domain that is not https, or not a domain', async () => {
    const env = { AUTH0_MANAGEMENT_TOKEN: 'unused' };
    const http = await a0(['status', '--domain', 'http://tenant.eu.auth0.com'], { env });
    const path = await a0(['status', '--domain', 'https://tenant.eu.auth0.com/api/v2'], { env });

    expect(http).toMatchObject({ code: 2, stderr: expect.stringContaining('https only') });
    expect(path).toMatchObject({ code: 2, stderr: expect.stringContaining('without a path') });
  });
});

describe('the stand-in tenant', () => {
  it('refuses what the spec refuses: type on PATCH, status on create, http endpoints, unknown tokens', async () => {
    const call = async (method: string, path: string, body?: unknown, token = fake.managementToken) => {
      const response = await fetch(`${fake.origin}/api/v2/log-streams${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const sink = { httpEndpoint: INGEST_URL, httpContentFormat: 'JSONARRAY' };

    const withStatus = await call('POST', '', { name: 'x', type: 'http', status: 'active', sink });
    const httpEndpoint = await call('POST', '', {
      type: 'http',
      sink: { httpEndpoint: 'http://x.example/' },
    });
    const created = await call('POST', '', { name: 'x', type: 'http', sink });
    const id = String(created.body.id);
    const withType = await call('PATCH', `/${id}`, { type: 'http', sink });
    const sinkWithoutEndpoint = await call('PATCH', `/${id}`, { sink: { httpContentFormat: 'JSONLINES' } });
    const suspend = await call('PATCH', `/${id}`, { status: 'suspended' });
    const unknownToken = await call('GET', '', undefined, 'not-a-token');

    expect(withStatus).toMatchObject({ status: 400, body: { message: expect.stringContaining('status') } });
    expect(httpEndpoint).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('^https://') },
    });
    expect(created).toMatchObject({ status: 200, body: { status: 'active', type: 'http' } });
    expect(withType).toMatchObject({
      status: 400,
      body: {
        errorCode: 'invalid_body',
        message: expect.stringContaining('Additional properties not allowed: type'),
      },
    });
    expect(sinkWithoutEndpoint).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('httpEndpoint') },
    });
    expect(suspend.status).toBe(400);
    expect(unknownToken).toMatchObject({ status: 401, body: { errorCode: 'invalid_token' } });
    expect(fake.streams).toHaveLength(1);
  });
});

/** A loopback port nobody else takes while the test runs, for a local stack's file. */
async function reservePort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
