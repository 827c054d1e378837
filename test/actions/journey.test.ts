/**
 * The seed journey, as a user walks it from the README: `npm start`, the CLI, an Auth0 log posted to the
 * ingest URL, and a local HTTP server standing in for the external service the logger module calls.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStart } from '../support/local-start';
import { LOGGER_MODULE_CODE } from '../support/seed';
import { a0bridge } from './support/cli-stack';

const LOGGER = LOGGER_MODULE_CODE;
const ACTION = `const logger = require('actions:logger');
exports.onExecuteAuth0Log = async (event) => {
  await logger.sendLog(event.data.type, \`failed login for \${event.data.user_name}\`);
};`;
const API_KEY = 'seed-journey-api-key-4711';

interface Received {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let start: LocalStart;
let external: Server;
let serviceUrl: string;
const received: Received[] = [];
let env: Record<string, string>;
let ingestUrl: string;
let ingestToken: string;

const cli = async (args: string[], stdin?: string) => {
  const run = await a0bridge(args, { env, ...(stdin === undefined ? {} : { stdin }) });
  expect(run.stderr, `a0bridge ${args.join(' ')}`).toBe('');
  expect(run.code, `a0bridge ${args.join(' ')}: ${run.stdout}`).toBe(0);
  return run.stdout;
};

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

beforeAll(async () => {
  external = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ at: performance.now(), headers: request.headers, body });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
  const address = external.address();
  serviceUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/logs`;

  start = new LocalStart(['--port', '0']);
  const [, url] = await start.waitFor(/Ingest URL\s+(http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
  const [, token] = await start.waitFor(/Token\s+(\S+)/);
  const [, managementToken] = await start.waitFor(/Modules token\s+(\S+)/);
  ingestUrl = url as string;
  ingestToken = token as string;
  env = { A0BRIDGE_ENDPOINT: ingestUrl.replace(/\/$/, ''), A0BRIDGE_TOKEN: managementToken as string };
}, 90_000);

afterAll(async () => {
  if (start) {
    await start.interrupt();
    start.kill();
  }
  await new Promise((resolve) => external?.close(resolve));
});

describe('the seed journey on npm start', () => {
  it('1. creates logger with SERVICE_URL and API_KEY, saves the tutorial code and publishes v1', async () => {
    await cli(['modules', 'create', 'logger']);
    await cli(['modules', 'secrets', 'set', 'logger', 'SERVICE_URL'], serviceUrl);
    await cli(['modules', 'secrets', 'set', 'logger', 'API_KEY'], API_KEY);
    await cli(['modules', 'update', 'logger', '--code', '-'], LOGGER);
    expect(await cli(['modules', 'publish', 'logger'])).toMatch(/version 1/i);
  }, 60_000);

  it('2. creates an action that requires actions:logger at v1, deploys it and binds it to auth0-log for fp', async () => {
    await cli(['actions', 'create', 'notify-on-failed-login']);
    await cli(['actions', 'modules', 'notify-on-failed-login', 'add', 'logger@1']);
    await cli(['actions', 'code', 'notify-on-failed-login', '-'], ACTION);
    await cli(['actions', 'deploy', 'notify-on-failed-login']);
    await cli(['actions', 'bind', 'notify-on-failed-login', '--codes', 'fp']);
    const bindings = JSON.parse(await cli(['actions', 'bindings', '--json']));
    expect(bindings.bindings).toEqual([
      expect.objectContaining({ display_name: 'notify-on-failed-login', match: { codes: ['fp'] } }),
    ]);
  }, 120_000);

  it('3–4. a failed login posted to the ingest URL reaches the external service with X-API-Key, and the run shows', async () => {
    const posted = performance.now();
    const response = await fetch(ingestUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          log_id: 'seed-fp-1',
          data: { type: 'fp', date: '2026-12-03T08:00:00.000Z', user_name: 'jane@example.com' },
        },
        {
          log_id: 'seed-s-1',
          data: { type: 's', date: '2026-12-03T08:00:00.000Z', user_name: 'jane@example.com' },
        },
      ]),
    });
    expect(await response.json()).toMatchObject({ received: 2, published: 2 });

    const call = await until('the external service to be called', () => received[0]);
    console.log(`  POST to the ingest URL -> external service called: ${Math.round(call.at - posted)} ms`);
    expect(call.headers['x-api-key']).toBe(API_KEY);
    expect(JSON.parse(call.body)).toEqual({ code: 'fp', message: 'failed login for jane@example.com' });

    const listed = await until('the execution to be listed', async () => {
      const page = JSON.parse(
        await cli(['actions', 'executions', 'list', 'notify-on-failed-login', '--json']),
      );
      return page.executions.length > 0 ? page : undefined;
    });
    expect(listed.executions).toHaveLength(1);
    const execution = JSON.parse(
      await cli(['actions', 'executions', 'get', listed.executions[0].id, '--json']),
    );
    expect(execution).toMatchObject({
      outcome: 'succeeded',
      trigger_id: 'auth0-log',
      action_version_number: 1,
      logs: ["{ code: 'fp', message: 'failed login for jane@example.com' }"],
    });
    expect(JSON.stringify(execution)).not.toContain(API_KEY);
    // The success login matched no binding: the action ran once, for the fp record only.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(received).toHaveLength(1);
    expect(start.output).toMatch(/action notify-on-failed-login v1 on seed-fp-1: succeeded/);
    expect(start.output).not.toContain(API_KEY);
  }, 60_000);
});
