import { beforeEach, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../../lambdas/ingest/action-events/receive';
import { type IngestSettings, ingest } from '../../../lambdas/ingest/ingest';
import type { IngestRequest } from '../../../lambdas/ingest/receive';
import { sampleActionEvent } from '../../support/action-events';
import { fakePorts } from '../../support/ingest-fakes';

const TOKEN = 's3cr3t-token';
const SECRET = 'sk_live_sample_secret_value_1';
const settings: IngestSettings = {
  busName: 'auth0-events',
  source: 'auth0.logs',
  maxBodyBytes: 1024 * 1024,
  maxPutEventsBytes: 256 * 1024,
  publishMaxAttempts: 2,
  publishBaseDelayMs: 1,
  publishMaxDelayMs: 2,
  concurrency: 4,
};

const request = (path: string, body: unknown, token = TOKEN): IngestRequest => ({
  method: 'POST',
  path,
  headers: { authorization: `Bearer ${token}` },
  body: JSON.stringify(body),
});

let ports: ReturnType<typeof fakePorts>;
beforeEach(() => {
  ports = fakePorts([TOKEN]);
});

describe('the path table', () => {
  it('sends / to the log stream parser, /actions/<trigger> and /events to theirs', async () => {
    const log = { log_id: 'p-1', data: { type: 's', date: '2026-12-03T10:00:00Z' } };
    const cloudEvent = { id: 'evt_1', source: 'urn:auth0:t', specversion: '1.0', type: 'user.deleted' };
    const outcomes = [
      await ingest(request('/', [log]), ports, settings),
      await ingest(request('/actions/post-login', sampleActionEvent('post-login')), ports, settings),
      await ingest(request('/events', cloudEvent), ports, settings),
    ];
    expect(outcomes.map(({ response }) => response.statusCode)).toEqual([200, 200, 200]);
    expect(outcomes.map(({ stats }) => stats.format)).toEqual(['JSONARRAY', 'ACTION_EVENT', 'CLOUDEVENT']);
    expect(ports.sink.accepted.map((entry) => entry.DetailType)).toEqual([
      'Auth0 log',
      'Auth0 action: post-login',
      'Auth0 event: user.deleted',
    ]);
    expect(outcomes[1]?.stats.publishedByCategory).toEqual({ 'actions.post-login': 1 });
  });

  it('answers 404 for any other path, but only to a caller with the token', async () => {
    const other = await ingest(request('/ingest', []), ports, settings);
    expect(other.response.statusCode).toBe(404);
    expect(JSON.parse(other.response.body).message).toContain('/actions/<trigger>');
    const malformed = await ingest(request('/actions/%E0%A4%A', {}), ports, settings);
    expect(malformed.response.statusCode).toBe(404);
    const stranger = await ingest(request('/ingest', [], 'wrong'), ports, settings);
    expect(stranger.response.statusCode).toBe(401);
    expect(ports.sink.accepted).toEqual([]);
  });
});

describe('Actions events', () => {
  it('quarantines an event EventBridge refuses, without its secrets, and answers 200', async () => {
    ports.sink.outcome = () => ({ ok: false, errorCode: 'MalformedDetail', errorMessage: 'refused' });
    const { response } = await ingest(
      request('/actions/credentials-exchange', sampleActionEvent('credentials-exchange')),
      ports,
      settings,
    );
    expect(JSON.parse(response.body)).toEqual({ received: 1, published: 0, duplicates: 0, quarantined: 1 });
    expect(ports.quarantine.records).toHaveLength(1);
    expect(ports.quarantine.records[0]?.reason).toBe('publish_rejected');
    expect(ports.quarantine.records[0]?.logId).toMatch(/^action:credentials-exchange:transaction:/);
    expect(JSON.stringify(ports.quarantine.records)).not.toContain(SECRET);
  });

  it('claim-checks an event too large for PutEvents, keeping the ids rules route on', async () => {
    const event = sampleActionEvent('post-login', { id: 'big' });
    const user = event.user as Record<string, unknown>;
    user.app_metadata = { notes: 'x'.repeat(4000) };
    const { response } = await ingest(request('/actions/post-login', event), ports, {
      ...settings,
      maxPutEventsBytes: 2048,
    });
    expect(response.statusCode).toBe(200);
    const detail = JSON.parse(ports.sink.accepted[0]?.Detail ?? '{}');
    expect(detail.claim_check.bytes).toBeGreaterThan(4000);
    expect(detail.user.user_id).toBe(user.user_id);
    expect(detail.transaction.id).toBe((event.transaction as Record<string, unknown>).id);
    expect(detail.user).not.toHaveProperty('app_metadata');
    const stored = [...ports.claimChecks.objects.values()];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toContain('x'.repeat(4000));
    expect(stored[0]).not.toContain(SECRET);
  });
});

describe('idempotencyKey', () => {
  const event = { transaction: { id: 'tx-1' }, user: { user_id: 'auth0|1', last_password_reset: 't1' } };

  it('prefers the header, then the transaction, then the user and time, then the content', () => {
    expect(idempotencyKey('post-login', event, ' k-1 ')).toBe('action:post-login:key:k-1');
    expect(idempotencyKey('post-login', event, undefined)).toBe('action:post-login:transaction:tx-1');
    const { transaction: _t, ...noTransaction } = event;
    expect(idempotencyKey('post-change-password', noTransaction, undefined)).toBe(
      'action:post-change-password:user:auth0|1@t1',
    );
    // post-login has no time that sets one event of a user apart: the content decides.
    expect(idempotencyKey('post-login', noTransaction, undefined)).toMatch(
      /^action:post-login:sha256:[0-9a-f]{64}$/,
    );
    expect(idempotencyKey('post-login', { a: 1 }, undefined)).not.toBe(
      idempotencyKey('post-login', { a: 2 }, undefined),
    );
  });

  it('keys a long id by its hash, and refuses an empty or long header', () => {
    expect(idempotencyKey('post-login', { transaction: { id: 'x'.repeat(600) } }, undefined)).toMatch(
      /^action:post-login:transaction-sha256:[0-9a-f]{64}$/,
    );
    expect(() => idempotencyKey('post-login', event, '')).toThrow(/Idempotency-Key/);
    expect(() => idempotencyKey('post-login', event, 'k'.repeat(256))).toThrow(/Idempotency-Key/);
  });
});
