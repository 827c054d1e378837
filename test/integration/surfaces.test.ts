/**
 * Actions events (`/actions/<trigger>`) and Event Streams (`/events`) through the Function URL mapping to the
 * real ingest handler on moto: each published once with its detail-type, redelivery deduplicated, Auth0's
 * secrets never published, quarantined, logged or answered, and bad requests refused with nothing published.
 */
import { createRequire } from 'node:module';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACTION_TRIGGERS, actionDetailType } from '../../lambdas/shared/surfaces';
import { clientConfig, createQueue, queueArnOf } from '../../local/provision';
import { sampleActionEvent } from '../support/action-events';
import { useEmulatorEnvironment } from '../support/aws';
import { type IngestOnMoto, startIngestOnMoto } from '../support/ingest-server';
import { drain } from '../support/queues';

const SECRET = 'sk_live_sample_secret_value_1';
const aws = useEmulatorEnvironment();
const sqs = new SQSClient(clientConfig(aws));
const events = new EventBridgeClient(clientConfig(aws));
let ingest: IngestOnMoto;
/** Every event the bus carries from the ingest's source. */
let everything: string;

interface Published {
  readonly 'detail-type': string;
  readonly detail: Record<string, unknown>;
  readonly time: string;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(path, ingest.url), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ingest.token}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

const published = async (expected: number, timeoutMs?: number): Promise<Published[]> =>
  (await drain(sqs, everything, expected, timeoutMs)).map((m) => JSON.parse(m.Body ?? '{}'));

beforeAll(async () => {
  ingest = await startIngestOnMoto('it-surf', { POWERTOOLS_LOGGER_LOG_EVENT: 'true' });
  everything = await createQueue(sqs, `${ingest.names.busName}-all`);
  await events.send(
    new PutRuleCommand({
      Name: `${ingest.names.busName}-all`,
      EventBusName: ingest.names.busName,
      EventPattern: JSON.stringify({ source: [ingest.names.source] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: `${ingest.names.busName}-all`,
      EventBusName: ingest.names.busName,
      Targets: [{ Id: 'all', Arn: await queueArnOf(sqs, everything) }],
    }),
  );
});

afterAll(async () => {
  await ingest?.close();
  sqs.destroy();
  events.destroy();
});

describe('Actions events', () => {
  it('publishes each of the eight triggers once, without secrets, and dedups the redelivery', async () => {
    for (const trigger of ACTION_TRIGGERS) {
      const event = sampleActionEvent(trigger, { id: `surf-${trigger}` });
      expect(JSON.stringify(event)).toContain(SECRET);
      const first = await post(`/actions/${trigger}`, event);
      expect(first, trigger).toMatchObject({
        status: 200,
        body: { received: 1, published: 1, duplicates: 0, quarantined: 0 },
      });
      const again = await post(`/actions/${trigger}`, event);
      expect(again.body, trigger).toEqual({ received: 1, published: 0, duplicates: 1, quarantined: 0 });
    }
    const arrived = await published(ACTION_TRIGGERS.length);
    expect(arrived.map((e) => e['detail-type']).sort()).toEqual(ACTION_TRIGGERS.map(actionDetailType).sort());
    for (const event of arrived) {
      expect(event.detail).not.toHaveProperty('secrets');
      const trigger = event['detail-type'].replace('Auth0 action: ', '');
      const { secrets: _secrets, ...sent } = sampleActionEvent(trigger as never, { id: `surf-${trigger}` });
      expect(event.detail).toEqual(sent);
    }
    expect(await published(0, 1500)).toEqual([]);
  });

  it('dedups on the Idempotency-Key header before the transaction id', async () => {
    const key = { 'idempotency-key': 'surf-key-1' };
    const a = sampleActionEvent('post-login', { id: 'surf-idem-a' });
    const b = sampleActionEvent('post-login', { id: 'surf-idem-b' });
    expect((await post('/actions/post-login', a, key)).body.published).toBe(1);
    expect((await post('/actions/post-login', b, key)).body.duplicates).toBe(1);
    // Without the header, b's own transaction id is its key.
    expect((await post('/actions/post-login', b)).body.published).toBe(1);
    expect(await published(2)).toHaveLength(2);
  });

  it('keys an event without a transaction by the user and the time, or by its content', async () => {
    const event = sampleActionEvent('post-change-password', { id: 'surf-pcp' });
    delete event.transaction;
    const user = event.user as Record<string, unknown>;
    expect((await post('/actions/post-change-password', event)).body.published).toBe(1);
    expect((await post('/actions/post-change-password', event)).body.duplicates).toBe(1);
    const later = { ...event, user: { ...user, last_password_reset: '2026-12-03T11:00:00.000Z' } };
    expect((await post('/actions/post-change-password', later)).body.published).toBe(1);

    const bare = { request: { ip: '203.0.113.9' }, secrets: { API_KEY: SECRET } };
    expect((await post('/actions/send-phone-message', bare)).body.published).toBe(1);
    expect((await post('/actions/send-phone-message', bare)).body.duplicates).toBe(1);
    expect(await published(3)).toHaveLength(3);
  });

  it('answers 404 for an unknown trigger, listing the known ones, and publishes nothing', async () => {
    const response = await post('/actions/post-logn', sampleActionEvent('post-login', { id: 'surf-404' }));
    expect(response.status).toBe(404);
    expect(response.body.message).toContain('Did you mean "post-login"');
    for (const trigger of ACTION_TRIGGERS) expect(response.body.message).toContain(`/actions/${trigger}`);
    expect((await post('/ingest', [])).status).toBe(404);
    expect((await post('/actions/post-login/extra', {})).status).toBe(404);
    expect(await published(0, 1500)).toEqual([]);
  });

  it('answers 400 naming the field, never its value, and publishes nothing', async () => {
    const event = sampleActionEvent('post-login', { id: 'surf-400' });
    (event.user as Record<string, unknown>).email = 4242424242;
    const response = await post('/actions/post-login', event);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain('user.email');
    expect(response.text).not.toContain('4242424242');
    expect(response.text).not.toContain(SECRET);

    const cases = ['not json', '[]', '"a string"', JSON.stringify({ secrets: { A: 1 } })];
    for (const body of cases) expect((await post('/actions/post-login', body)).status, body).toBe(400);
    expect((await post('/actions/post-login', event, { 'idempotency-key': ' ' })).status).toBe(400);
    expect(await published(0, 1500)).toEqual([]);
  });

  it('answers 401 without a valid token, and publishes nothing', async () => {
    const event = sampleActionEvent('post-login', { id: 'surf-401' });
    for (const authorization of ['', 'Bearer wrong']) {
      const response = await post('/actions/post-login', event, { authorization });
      expect(response.status).toBe(401);
    }
    expect((await post('/events', { id: 'x' }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect(await published(0, 1500)).toEqual([]);
  });
});

describe('Event Streams', () => {
  const cloudEvent = (id: string, type: string) => ({
    id,
    source: 'urn:auth0:example-tenant:users',
    specversion: '1.0',
    type,
    time: '2026-12-03T10:00:00.000Z',
    dataschema: 'https://example-tenant.auth0.com/api/v2/schemas/user.created',
    data: { object: { user_id: 'auth0|surf-1', email: 'jane@example.com' } },
  });

  it('publishes a CloudEvent once as "Auth0 event: <type>", with the two type spellings made one', async () => {
    const first = await post('/events', cloudEvent('evt_surf_1', 'com.auth0.user.created'));
    expect(first.body).toEqual({ received: 1, published: 1, duplicates: 0, quarantined: 0 });
    const again = await post('/events', cloudEvent('evt_surf_1', 'com.auth0.user.created'));
    expect(again.body).toEqual({ received: 1, published: 0, duplicates: 1, quarantined: 0 });
    const batch = await post('/events', [
      cloudEvent('evt_surf_2', 'user.created'),
      cloudEvent('evt_surf_1', 'user.created'),
    ]);
    expect(batch.body).toEqual({ received: 2, published: 1, duplicates: 1, quarantined: 0 });

    const arrived = await published(2);
    expect(arrived.map((e) => e['detail-type'])).toEqual([
      'Auth0 event: user.created',
      'Auth0 event: user.created',
    ]);
    expect(arrived.map((e) => e.detail.type)).toEqual(['user.created', 'user.created']);
    expect(arrived.map((e) => e.detail.id).sort()).toEqual(['evt_surf_1', 'evt_surf_2']);
    expect(arrived[0]?.time).toBe('2026-12-03T10:00:00Z');
  });

  it('answers 400 for an event that is not a CloudEvent, naming the attribute, and publishes nothing', async () => {
    const { id: _id, ...noId } = cloudEvent('evt_surf_bad', 'user.created');
    const response = await post('/events', [cloudEvent('evt_surf_3', 'user.created'), noId]);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain('Event 1: "id" must be a non-empty string');
    expect(
      (await post('/events', { ...cloudEvent('evt_surf_4', 'user.created'), specversion: '0.3' })).status,
    ).toBe(400);
    expect((await post('/events', [])).status).toBe(400);
    expect(await published(0, 1500)).toEqual([]);
  });
});

describe('the forwarder Action in examples/', () => {
  const require = createRequire(import.meta.url);
  const forwarder = require('../../examples/auth0-actions/forward-to-event-bridge.js') as Record<
    string,
    (event: Record<string, unknown>) => Promise<void>
  >;

  it('forwards its event without its secrets, and the event is published once', async () => {
    const event = sampleActionEvent('post-login', { id: 'surf-forwarder' });
    const secrets = { EVENT_BRIDGE_URL: ingest.url, EVENT_BRIDGE_TOKEN: ingest.token, API_KEY: SECRET };
    await forwarder.onExecutePostLogin?.({ ...event, secrets });
    await forwarder.onExecutePostLogin?.({ ...event, secrets });
    const arrived = await published(1);
    expect(arrived).toHaveLength(1);
    expect(arrived[0]?.['detail-type']).toBe('Auth0 action: post-login');
    expect(JSON.stringify(arrived)).not.toContain(ingest.token);
    expect(await published(0, 1500)).toEqual([]);
  });

  it('never throws: not when the bridge is down, not when the secrets are missing', async () => {
    const event = sampleActionEvent('post-user-registration', { id: 'surf-down' });
    const down = { EVENT_BRIDGE_URL: 'http://127.0.0.1:9', EVENT_BRIDGE_TOKEN: 'x' };
    // What the Action logs goes to the Action's logs in Auth0; here it is checked, not printed.
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await expect(
        forwarder.onExecutePostUserRegistration?.({ ...event, secrets: down }),
      ).resolves.toBeUndefined();
      await expect(
        forwarder.onExecutePostUserRegistration?.({ ...event, secrets: {} }),
      ).resolves.toBeUndefined();
      expect(log.mock.calls).toEqual([
        ['Event Bridge: the post-user-registration event was not forwarded (TypeError).'],
        ['Event Bridge: set the EVENT_BRIDGE_URL and EVENT_BRIDGE_TOKEN secrets; nothing was sent.'],
      ]);
    } finally {
      log.mockRestore();
    }
    for (const handler of [
      'onExecutePostChallenge',
      'onExecuteSendPhoneMessage',
      'onExecuteCustomTokenExchange',
    ]) {
      expect(typeof forwarder[handler], handler).toBe('function');
    }
  });
});

describe('what is never kept', () => {
  it('never publishes, quarantines or logs a secret or the token', async () => {
    const quarantined = await drain(sqs, ingest.resources.quarantineQueueUrl, 0, 1000);
    const everythingSeen = [...ingest.logged, ...quarantined.map((m) => m.Body ?? '')].join('\n');
    expect(ingest.logged.length).toBeGreaterThan(0);
    expect(everythingSeen).not.toContain(SECRET);
    expect(everythingSeen).not.toContain(ingest.token);
  });
});
