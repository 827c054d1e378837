/**
 * Records that once made a whole batch answer 503 forever, or were altered or lost on the way, posted through
 * the Function URL mapping to the real handler on moto. Each is quarantined with its reason, or published as
 * received, and its neighbours are delivered.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../local/provision';
import { useEmulatorEnvironment } from '../support/aws';
import { type IngestOnMoto, startIngestOnMoto } from '../support/ingest-server';
import { drain } from '../support/queues';

const aws = useEmulatorEnvironment();
const sqs = new SQSClient(clientConfig(aws));
let ingest: IngestOnMoto;

const entry = (id: string, type = 'f', extra: Record<string, unknown> = {}) => ({
  log_id: id,
  data: { log_id: id, type, date: '2026-11-22T10:00:00.000Z', ...extra },
});
const failedLogins = () =>
  ingest.resources.routeQueues.find((q) => q.routeId === 'failed-logins')?.queueUrl ?? '';
const routedIds = async (expected: number, timeoutMs?: number) =>
  (await drain(sqs, failedLogins(), expected, timeoutMs)).map((m) => JSON.parse(m.Body ?? '{}').detail);
const quarantined = async (expected: number) =>
  (await drain(sqs, ingest.resources.quarantineQueueUrl, expected)).map((m) => JSON.parse(m.Body ?? '{}'));

async function post(body: string | Buffer) {
  const response = await fetch(ingest.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingest.token}`, 'content-type': 'application/json' },
    body,
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  ingest = await startIngestOnMoto('it-bad', {
    // What an operator may switch on to debug: it must still never log the token or a record.
    POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    PUBLISH_BASE_DELAY_MS: '1',
    PUBLISH_MAX_DELAY_MS: '5',
  });
});

afterAll(async () => {
  await ingest?.close();
  sqs.destroy();
});

describe('bad input against moto', () => {
  it('quarantines a record nested 100,000 levels deep and delivers its neighbours', async () => {
    const deep = `{"log_id":"bi-deep-1","data":{"type":"f","date":"2026-11-22T10:00:00Z","details":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const body = `[${JSON.stringify(entry('bi-deep-0'))},${deep},${JSON.stringify(entry('bi-deep-2'))}]`;
    const response = await post(body);
    expect(response).toEqual({
      status: 200,
      body: { received: 3, published: 2, duplicates: 0, quarantined: 1 },
    });
    expect((await routedIds(2)).map((d) => d.log_id).sort()).toEqual(['bi-deep-0', 'bi-deep-2']);
    const [message] = await drain(sqs, ingest.resources.quarantineQueueUrl, 1);
    const text = message?.Body ?? '';
    expect(text.length).toBeGreaterThan(200_000);
    expect(JSON.parse(text)).toMatchObject({ reason: 'too_deep', log_id: 'bi-deep-1' });
  });

  it('quarantines a log_id longer than DynamoDB and S3 keys allow in bytes, though short in characters', async () => {
    const long = `bi-cjk-${'日'.repeat(700)}`;
    const response = await post(JSON.stringify([entry(long), entry('bi-cjk-ok')]));
    expect(response.body).toEqual({ received: 2, published: 1, duplicates: 0, quarantined: 1 });
    const [message] = await quarantined(1);
    expect(message).toMatchObject({ reason: 'invalid_log_id', log_id: long });
    expect(message.message).toMatch(/2107 UTF-8 bytes; at most 1024/);
    expect((await routedIds(1)).map((d) => d.log_id)).toEqual(['bi-cjk-ok']);
  });

  it('publishes a record dated 0000-01-01 once, with its date kept and no event time EventBridge refuses', async () => {
    const batch = Array.from({ length: 10 }, (_, i) =>
      entry(`bi-date-${i}`, 'f', i === 4 ? { date: '0000-01-01T00:00:00Z' } : {}),
    );
    const response = await post(JSON.stringify(batch));
    expect(response).toEqual({
      status: 200,
      body: { received: 10, published: 10, duplicates: 0, quarantined: 0 },
    });
    const details = await routedIds(10);
    expect(details.map((d) => d.log_id).sort()).toEqual(batch.map((e) => e.log_id).sort());
    expect(details.find((d) => d.log_id === 'bi-date-4').data.date).toBe('0000-01-01T00:00:00Z');
    expect(await routedIds(0, 1500)).toEqual([]);
  });

  it('quarantines a log_id holding a lone surrogate and writes nothing for it to the dedup table', async () => {
    const body = `[${JSON.stringify(entry('bi-ok-1'))},{"log_id":"bi-\\ud800","data":{"type":"f","date":"2026-11-22T10:00:00Z"}}]`;
    const response = await post(body);
    expect(response.body).toEqual({ received: 2, published: 1, duplicates: 0, quarantined: 1 });
    const [message] = await quarantined(1);
    expect(message).toMatchObject({ reason: 'invalid_log_id', log_id: 'bi-\ud800' });
    expect((await routedIds(1)).map((d) => d.log_id)).toEqual(['bi-ok-1']);
  });

  it('delivers the good lines of JSON Lines and quarantines the bad one as text', async () => {
    const body = [
      JSON.stringify(entry('bi-jl-1')),
      '{"log_id": "bi-jl-2", "data": {',
      JSON.stringify(entry('bi-jl-3')),
    ].join('\n');
    const response = await post(body);
    expect(response).toEqual({
      status: 200,
      body: { received: 3, published: 2, duplicates: 0, quarantined: 1 },
    });
    const [message] = await quarantined(1);
    expect(message).toMatchObject({
      reason: 'invalid_json',
      position: 1,
      record: '{"log_id": "bi-jl-2", "data": {',
    });
    expect(message.message).toMatch(/^Line 2 is not valid JSON/);
    expect((await routedIds(2)).map((d) => d.log_id).sort()).toEqual(['bi-jl-1', 'bi-jl-3']);
  });

  it('keeps numbers exactly as sent, and quarantines those EventBridge cannot take', async () => {
    const body = `[
      {"log_id":"bi-num-exact","data":{"type":"f","date":"2026-11-22T10:00:00Z","n":9007199254740993,"d":0.10000000000000000001}},
      {"log_id":"bi-num-inf","data":{"type":"f","date":"2026-11-22T10:00:00Z","n":1e999}},
      {"log_id":"bi-num-big","data":{"type":"f","date":"2026-11-22T10:00:00Z","n":123456789012345678901234567890}}
    ]`;
    const response = await post(body);
    expect(response.body).toEqual({ received: 3, published: 1, duplicates: 0, quarantined: 2 });
    const [routed] = await drain(sqs, failedLogins(), 1);
    expect(routed?.Body).toMatch(/"n":\s*9007199254740993/);
    // moto re-serialises the event through Python floats, so the 20-digit decimal is checked in the unit tests.
    const messages = await quarantined(2);
    expect(messages.map((m) => [m.log_id, m.reason]).sort()).toEqual([
      ['bi-num-big', 'unrepresentable_number'],
      ['bi-num-inf', 'unrepresentable_number'],
    ]);
    expect(messages.find((m) => m.log_id === 'bi-num-big').message).toMatch(
      /^Entry 2 \(log_id bi-num-big\): Field data.n is a number outside/,
    );
  });

  it('keeps log_ids that differ only in invalid UTF-8 bytes apart: both quarantined, neither taken for a duplicate', async () => {
    const record = (id: Buffer) =>
      Buffer.concat([
        Buffer.from('{"log_id":"bi-utf8-'),
        id,
        Buffer.from('","data":{"type":"f","date":"2026-11-22T10:00:00Z"}}'),
      ]);
    const body = Buffer.concat([
      Buffer.from('['),
      record(Buffer.from([0xff])),
      Buffer.from(','),
      record(Buffer.from([0xfe])),
      Buffer.from(`,${JSON.stringify(entry('bi-utf8-ok'))}]`),
    ]);
    const response = await post(body);
    expect(response.body).toEqual({ received: 3, published: 1, duplicates: 0, quarantined: 2 });
    const messages = await quarantined(2);
    expect(messages.map((m) => m.reason)).toEqual(['invalid_log_id', 'invalid_log_id']);
    expect(new Set(messages.map((m) => m.log_id)).size).toBe(2);
    const dynamoDb = new DynamoDBClient(clientConfig(aws));
    const item = await dynamoDb.send(
      new GetItemCommand({
        TableName: ingest.names.dedupTableName,
        Key: { log_id: { S: 'bi-utf8-\ufffd' } },
      }),
    );
    expect(item.Item).toBeUndefined();
    dynamoDb.destroy();
  });

  it('never logs the token or a record, even with POWERTOOLS_LOGGER_LOG_EVENT=true', async () => {
    expect((await post(JSON.stringify([entry('bi-log-1', 's')]))).status).toBe(200);
    const output = ingest.logged.join('');
    expect(output).toContain('Ingested a delivery');
    expect(output).not.toContain(ingest.token);
    expect(output).not.toContain('2026-11-22T10:00:00.000Z');
  });
});
