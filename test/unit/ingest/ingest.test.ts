import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { type IngestSettings, ingest } from '../../../lambdas/ingest/ingest';
import type { IngestRequest } from '../../../lambdas/ingest/receive';
import { fakePorts, StaticTokens } from '../../support/ingest-fakes';

const TOKEN = 's3cr3t-token';
const settings: IngestSettings = {
  busName: 'auth0-events',
  source: 'auth0.logs',
  maxBodyBytes: 1024 * 1024,
  maxPutEventsBytes: 256 * 1024,
  publishMaxAttempts: 3,
  publishBaseDelayMs: 1,
  publishMaxDelayMs: 10,
  concurrency: 4,
};

const record = (id: string, type = 's', extra: Record<string, unknown> = {}) => ({
  log_id: id,
  data: { log_id: id, type, date: '2026-11-22T11:59:00.000Z', ...extra },
});
const post = (
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
): IngestRequest => ({
  method: 'POST',
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const bodyOf = (response: { body: string }) => JSON.parse(response.body);

let ports: ReturnType<typeof fakePorts>;
beforeEach(() => {
  ports = fakePorts([TOKEN]);
});

describe('ingest', () => {
  it('publishes every record and answers 200 with the counts', async () => {
    const { response, stats } = await ingest(post([record('a', 'f'), record('b', 's')]), ports, settings);
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ received: 2, published: 2, duplicates: 0, quarantined: 0 });
    expect(ports.sink.accepted.map((e) => JSON.parse(e.Detail).log_id)).toEqual(['a', 'b']);
    expect(stats.publishedByCategory).toEqual({ 'auth.login.fail': 1, 'auth.login.success': 1 });
  });

  it('publishes a redelivered log_id only once', async () => {
    await ingest(post([record('a'), record('b')]), ports, settings);
    const { response } = await ingest(post([record('b'), record('c')]), ports, settings);
    expect(bodyOf(response)).toEqual({ received: 2, published: 1, duplicates: 1, quarantined: 0 });
    expect(ports.sink.accepted).toHaveLength(3);
  });

  it('publishes a log_id repeated inside one batch once', async () => {
    const { response } = await ingest(post([record('a'), record('a')]), ports, settings);
    expect(bodyOf(response)).toMatchObject({ received: 2, published: 1, duplicates: 1 });
  });

  it('marks a record as seen only after EventBridge accepted it', async () => {
    await ingest(post([record('a'), record('b')]), ports, settings);
    const ops = ports.steps.map((s) => s.op);
    expect(ops.indexOf('markPublished')).toBeGreaterThan(ops.lastIndexOf('putEvents'));
    expect(ops.lastIndexOf('claim')).toBeLessThan(ops.indexOf('putEvents'));
  });

  it('never marks a record whose publish failed, gives its claim back, and answers 503 so Auth0 retries', async () => {
    ports.sink.outcome = (id) =>
      id === 'b'
        ? { ok: false, errorCode: 'ThrottlingException', errorMessage: 'slow down' }
        : { ok: true, eventId: 'e' };
    const { response } = await ingest(post([record('a'), record('b')]), ports, settings);
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toMatchObject({ received: 2, published: 1, failed: 1 });
    expect(ports.steps.find((s) => s.op === 'markPublished')?.ids).toEqual(['a']);
    expect(ports.steps.find((s) => s.op === 'release')?.ids).toEqual(['b']);
    // Auth0's retry of the same batch publishes only what is missing.
    ports.sink.outcome = () => ({ ok: true, eventId: 'e' });
    const retry = await ingest(post([record('a'), record('b')]), ports, settings);
    expect(bodyOf(retry.response)).toEqual({ received: 2, published: 1, duplicates: 1, quarantined: 0 });
  });

  it('republishes on retry when the process died between acceptance and marking, losing nothing', async () => {
    ports.dedup.failMarkPublished = true;
    const first = await ingest(post([record('a')]), ports, settings);
    // Accepted by EventBridge: the record is safe even though it could not be marked.
    expect(first.response.statusCode).toBe(200);
    expect(first.stats.dedupWriteFailures).toBe(1);
    // The lease lapses (as after a crash); the redelivery publishes it again: a duplicate, never a loss.
    ports.dedup.nowMs += 121_000;
    ports.dedup.failMarkPublished = false;
    const retry = await ingest(post([record('a')]), ports, settings);
    expect(bodyOf(retry.response)).toMatchObject({ published: 1, duplicates: 0 });
    expect(ports.sink.accepted).toHaveLength(2);
  });

  it('answers 503 for a record another delivery is publishing right now', async () => {
    ports.dedup.holdFor('a', 'someone-else');
    const { response } = await ingest(post([record('a'), record('b')]), ports, settings);
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toMatchObject({ published: 1, failed: 1 });
    expect(ports.dedup.items.get('a')).toMatchObject({ status: 'pending', lease_id: 'someone-else' });
  });

  it('quarantines unusable records with the reason and still publishes the rest', async () => {
    const body = [
      record('a'),
      'garbage',
      { log_id: 'no-type', data: { date: 'x' } },
      { data: { type: 's' } },
      record('b'),
    ];
    const { response } = await ingest(post(body), ports, settings);
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({ received: 5, published: 2, duplicates: 0, quarantined: 3 });
    expect(ports.quarantine.records.map(({ reason, position }) => ({ reason, position }))).toEqual([
      { reason: 'not_an_object', position: 1 },
      { reason: 'missing_type', position: 2 },
      { reason: 'missing_log_id', position: 3 },
    ]);
    expect(ports.quarantine.records[1]?.record).toEqual({ log_id: 'no-type', data: { date: 'x' } });
  });

  it('quarantines entries EventBridge refuses for good, with the error code, and remembers them', async () => {
    ports.sink.outcome = (id) =>
      id === 'b'
        ? { ok: false, errorCode: 'MalformedDetail', errorMessage: 'bad' }
        : { ok: true, eventId: 'e' };
    const { response } = await ingest(post([record('a'), record('b')]), ports, settings);
    expect(bodyOf(response)).toEqual({ received: 2, published: 1, duplicates: 0, quarantined: 1 });
    expect(ports.quarantine.records[0]).toMatchObject({
      reason: 'publish_rejected',
      errorCode: 'MalformedDetail',
      logId: 'b',
    });
    expect(ports.dedup.statusOf('b')).toBe('quarantined');
  });

  it('answers 503 when the quarantine cannot store a record, since it would otherwise be lost', async () => {
    ports.quarantine.fail = true;
    const { response } = await ingest(post([record('a'), 'garbage']), ports, settings);
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toMatchObject({ published: 1, quarantined: 0, failed: 1 });
  });

  it('stores a record too large for one entry whole, and publishes a pointer that routes the same way', async () => {
    const huge = record('big', 'f', { user_id: 'auth0|1', details: { blob: 'x'.repeat(300 * 1024) } });
    const { response, stats } = await ingest(post([huge]), ports, settings);
    expect(bodyOf(response)).toMatchObject({ published: 1 });
    expect(stats.claimChecked).toBe(1);
    const [key, stored] = [...ports.claimChecks.objects.entries()][0] ?? [];
    expect(key).toBe('claim-check/2026/11/22/big.json');
    expect(JSON.parse(stored ?? '{}')).toEqual({
      log_id: 'big',
      data: huge.data,
      category: 'auth.login.fail',
    });
    const detail = ports.sink.detailOf('big');
    expect(detail).toMatchObject({
      log_id: 'big',
      category: 'auth.login.fail',
      data: { type: 'f', user_id: 'auth0|1' },
      claim_check: { bucket: 'claims', key, bytes: Buffer.byteLength(stored ?? '') },
    });
    expect(JSON.stringify(detail)).not.toContain('xxxx');
  });

  it('accepts JSON lines, gzip and base64 together', async () => {
    const lines = `${JSON.stringify(record('a'))}\r\n${JSON.stringify(record('b'))}\r\n`;
    const request: IngestRequest = {
      method: 'POST',
      headers: { authorization: TOKEN, 'content-encoding': 'gzip', 'content-type': 'application/json' },
      body: gzipSync(lines).toString('base64'),
      isBase64Encoded: true,
    };
    const { response, stats } = await ingest(request, ports, settings);
    expect(bodyOf(response)).toMatchObject({ received: 2, published: 2 });
    expect(stats.format).toBe('JSONLINES');
  });

  describe('refusals publish nothing', () => {
    it.each([
      ['a missing Authorization header', {}, 401, /missing/],
      ['a wrong token', { authorization: 'Bearer nope' }, 401, /no valid token/],
    ])('answers %s with 401', async (_, headers, status, message) => {
      const { response } = await ingest(post([record('a')], headers), ports, settings);
      expect(response.statusCode).toBe(status);
      expect(bodyOf(response).message).toMatch(message);
      expect(ports.steps).toEqual([]);
    });

    it('never echoes the presented or the expected token', async () => {
      const { response } = await ingest(
        post([record('a')], { authorization: 'Bearer almost-s3cr3t' }),
        ports,
        settings,
      );
      expect(response.body).not.toContain('almost-s3cr3t');
      expect(response.body).not.toContain(TOKEN);
      expect(ports.logger.lines.join('\n')).not.toContain(TOKEN);
    });

    it('re-reads the tokens once when none matches, so a rotated token works at once', async () => {
      ports = { ...ports, tokens: new StaticTokens(['old'], ['old', 'new']) };
      const { response } = await ingest(
        post([record('a')], { authorization: 'Bearer new' }),
        ports,
        settings,
      );
      expect(response.statusCode).toBe(200);
    });

    it('answers another method with 405 and Allow: POST', async () => {
      const { response } = await ingest({ ...post([record('a')]), method: 'GET' }, ports, settings);
      expect(response.statusCode).toBe(405);
      expect(response.headers.Allow).toBe('POST');
      expect(ports.steps).toEqual([]);
    });

    it('answers a body over the maximum with 413', async () => {
      const { response } = await ingest(post([record('a', 's', { pad: 'x'.repeat(2000) })]), ports, {
        ...settings,
        maxBodyBytes: 1000,
      });
      expect(response.statusCode).toBe(413);
      expect(ports.steps).toEqual([]);
    });

    it('answers a body no line of which parses with 400 naming the first bad line', async () => {
      const { response } = await ingest(post('{oops\n{"log_id": '), ports, settings);
      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).message).toMatch(/Line 1 is not valid JSON/);
      expect(ports.steps).toEqual([]);
    });
  });

  describe('records JSON cannot carry as parsed', () => {
    it('publishes 20-digit decimals and integers past 2^53 with their original digits', async () => {
      const body =
        '[{"log_id":"n1","data":{"type":"f","date":"2026-11-22T10:00:00Z","d":0.10000000000000000001,"i":9007199254740993}}]';
      const { response } = await ingest(post(body), ports, settings);
      expect(bodyOf(response)).toMatchObject({ published: 1 });
      expect(ports.sink.accepted[0]?.Detail).toContain('"d":0.10000000000000000001,"i":9007199254740993');
    });

    it('quarantines a JSON Lines line that is not JSON and publishes the others', async () => {
      const body = [
        JSON.stringify(record('l1')),
        '{"log_id": "l2", "data"',
        JSON.stringify(record('l3')),
      ].join('\n');
      const { response } = await ingest(post(body), ports, settings);
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toEqual({ received: 3, published: 2, duplicates: 0, quarantined: 1 });
      expect(ports.quarantine.records).toEqual([
        expect.objectContaining({ reason: 'invalid_json', position: 1, record: '{"log_id": "l2", "data"' }),
      ]);
    });

    it('fails only the record whose quarantine failed, and answers 503 for it alone', async () => {
      ports.quarantine.refuse = (r) => r.position === 0;
      const { response } = await ingest(
        post([{ log_id: 'q1' }, { log_id: 'q2' }, record('ok')]),
        ports,
        settings,
      );
      expect(response.statusCode).toBe(503);
      expect(bodyOf(response)).toMatchObject({ received: 3, published: 1, quarantined: 1, failed: 1 });
    });
  });
});
