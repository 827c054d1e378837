import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDedupStore, outcomeKey } from '../../lambdas/ingest/adapters/dynamodb-dedup';
import { type IngestSettings, ingest } from '../../lambdas/ingest/ingest';
import type { ClaimState } from '../../lambdas/ingest/ports';
import { clientConfig, defaultLocalNames, provisionLocal } from '../../local/provision';
import { startSerializingProxy } from '../../local/serializing-proxy';
import { emulator, uniqueName } from '../support/aws';
import { fakePorts } from '../support/ingest-fakes';

const aws = emulator();
const names = defaultLocalNames(uniqueName('it-dedup'));
let now = Date.parse('2026-11-22T12:00:00Z');
let proxy: Awaited<ReturnType<typeof startSerializingProxy>>;
let client: DynamoDBDocumentClient;
let store: DynamoDbDedupStore;

beforeAll(async () => {
  await provisionLocal(aws, names, [], 'unused-token');
  // DynamoDB applies each conditional write atomically; moto does not under concurrency, so requests go
  // through the same one-at-a-time proxy local mode uses (see local/serializing-proxy.ts).
  proxy = await startSerializingProxy(aws.endpoint);
  client = DynamoDBDocumentClient.from(
    new DynamoDBClient(clientConfig({ ...aws, endpoint: proxy.endpoint })),
  );
  store = new DynamoDbDedupStore(client, {
    tableName: names.dedupTableName,
    ttlSeconds: 7 * 86_400,
    leaseSeconds: 120,
    now: () => now,
  });
});
afterAll(async () => {
  client.destroy();
  await proxy.close();
});

const one = async (logId: string, leaseId: string) => (await store.claim([logId], leaseId))[0];
const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);

describe('DynamoDbDedupStore on DynamoDB (moto)', () => {
  it('lets exactly one of many concurrent claims on a log_id win', async () => {
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => one('race', `lease-${i}`)));
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c === 'in-flight')).toHaveLength(9);
  });

  it('gives each log_id to exactly one of two racing deliveries whose batches overlap', async () => {
    // GIVEN two deliveries of 60 records that share 30, claimed at the same moment
    const first = range('overlap', 0, 60);
    const second = range('overlap', 30, 90);
    // WHEN both claim their whole batch
    const [a, b] = await Promise.all([store.claim(first, 'delivery-a'), store.claim(second, 'delivery-b')]);
    // THEN every shared record went to one of them, and the other saw it in flight
    const winners = new Map<string, string[]>();
    const count = (ids: string[], claims: Array<ClaimState | Error>, who: string) => {
      ids.forEach((id, i) => {
        if (claims[i] === 'claimed') winners.set(id, [...(winners.get(id) ?? []), who]);
      });
    };
    count(first, a, 'a');
    count(second, b, 'b');
    expect(winners.size).toBe(90);
    for (const [, holders] of winners) expect(holders).toHaveLength(1);
    const losers = [...a, ...b].filter((claim) => claim !== 'claimed');
    expect(losers).toEqual(Array(30).fill('in-flight'));
  });

  it('claims a batch with two requests of 25 and one more, and reads nothing when every record is new', async () => {
    const claims = await store.claim(range('fresh', 0, 51), 'lease-fresh');
    expect(claims).toEqual(Array(51).fill('claimed'));
    const item = await client.send(
      new GetCommand({ TableName: names.dedupTableName, Key: { log_id: 'fresh-50' } }),
    );
    expect(item.Item).toEqual({
      log_id: 'fresh-50',
      status: 'pending',
      lease_id: 'lease-fresh',
      lease_expires_at: now + 120_000,
      expires_at: Math.floor(now / 1000) + 7 * 86_400,
    });
  });

  it('reports a claimed but unmarked record as in flight until its lease lapses, then lets a retry publish it', async () => {
    expect(await one('crash', 'first-delivery')).toBe('claimed');
    // The first delivery dies here: published or not, it never marks the record.
    now += 60_000;
    expect(await one('crash', 'second-delivery')).toBe('in-flight');
    now += 61_000;
    expect(await one('crash', 'third-delivery')).toBe('claimed');
  });

  it('reports published and quarantined records as such for the whole dedup window, from one outcome item', async () => {
    const claims = await store.claim(['done', 'bad', 'failed'], 'lease-outcome');
    expect(claims).toEqual(['claimed', 'claimed', 'claimed']);
    await store.markQuarantined(['bad'], 'lease-outcome');
    await store.markPublished(['done'], 'lease-outcome');
    const outcome = await client.send(
      new GetCommand({ TableName: names.dedupTableName, Key: outcomeKey('lease-outcome') }),
    );
    expect(outcome.Item).toMatchObject({
      published_ids: new Set(['done']),
      quarantined_ids: new Set(['bad']),
    });
    // Long after the lease lapsed: the outcome decides, and 'failed' (never marked) is free again.
    now += 6 * 86_400_000;
    expect(await store.claim(['done', 'bad', 'failed'], 'later')).toEqual([
      'published',
      'quarantined',
      'claimed',
    ]);
  });

  it('answers a redelivery at once while the first delivery is still within its lease', async () => {
    await store.claim(['quick'], 'lease-quick');
    await store.markPublished(['quick'], 'lease-quick');
    expect(await one('quick', 'redelivery')).toBe('published');
  });

  it("still reads marks written on a record's own item (by the previous version, or past the outcome size)", async () => {
    await client.send(
      new PutCommand({
        TableName: names.dedupTableName,
        Item: { log_id: 'legacy', status: 'published', expires_at: Math.floor(now / 1000) + 3600 },
      }),
    );
    expect(await store.claim(['legacy', 'legacy-neighbour'], 'lease-legacy')).toEqual([
      'published',
      'claimed',
    ]);
  });

  it('forgets a record once the window has passed, even before DynamoDB TTL deletes it', async () => {
    await store.claim(['old'], 'lease-old');
    await store.markPublished(['old'], 'lease-old');
    now += 7 * 86_400_000 + 1000;
    expect(await store.claim(['old', 'old-neighbour'], 'next-week')).toEqual(['claimed', 'claimed']);
  });

  it('releases only its own pending claims', async () => {
    await one('mine', 'lease-a');
    await one('theirs', 'lease-b');
    await store.release(['mine', 'theirs'], 'lease-a');
    expect(await one('mine', 'lease-c')).toBe('claimed');
    expect(await one('theirs', 'lease-c')).toBe('in-flight');
  });
});

describe('ingest with the DynamoDB dedup table (moto)', () => {
  const settings: IngestSettings = {
    busName: 'bus',
    source: 'auth0.logs',
    maxBodyBytes: 5 * 1024 * 1024,
    maxPutEventsBytes: 256 * 1024,
    publishMaxAttempts: 3,
    publishBaseDelayMs: 1,
    publishMaxDelayMs: 2,
    concurrency: 16,
  };
  const record = (id: string) => ({
    log_id: id,
    data: { type: 's', date: '2026-11-22T12:00:00.000Z', description: 'race' },
  });
  const post = (ids: readonly string[]) => ({
    method: 'POST',
    headers: { authorization: 'race-token' },
    body: JSON.stringify(ids.map(record)),
  });

  it('publishes each record exactly once when Auth0 delivers overlapping batches at the same moment, and again after a 503', async () => {
    // GIVEN one bus (a shared sink) and the real dedup table, and three deliveries whose batches overlap
    const ports = fakePorts(['race-token']);
    const sinkCalls = new Map<string, number>();
    const publishOnce = ports.sink.outcome;
    ports.sink.outcome = (logId, attempt) => {
      sinkCalls.set(logId, (sinkCalls.get(logId) ?? 0) + 1);
      return publishOnce(logId, attempt);
    };
    const dedup = store;
    const deliveries = [range('ingest', 0, 100), range('ingest', 50, 150), range('ingest', 25, 125)];
    // WHEN they race, and each is delivered again until it is answered 200 (as Auth0 retries a 503)
    const answers = await Promise.all(
      deliveries.map(async (ids) => {
        const statuses: number[] = [];
        for (let attempt = 0; attempt < 10; attempt++) {
          const { response } = await ingest(post(ids), { ...ports, dedup }, settings);
          statuses.push(response.statusCode);
          if (response.statusCode === 200) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        return statuses;
      }),
    );
    // THEN every record reached the bus exactly once, and every delivery ended with a 200
    expect([...sinkCalls.keys()].sort()).toEqual(range('ingest', 0, 150).sort());
    expect([...sinkCalls.values()].every((count) => count === 1)).toBe(true);
    for (const statuses of answers) expect(statuses.at(-1)).toBe(200);
    // A delivery that found records in flight answered 503 first: nothing of it was lost on the way.
    const claims: ClaimState[] = (await store.claim(range('ingest', 0, 150), 'audit')) as ClaimState[];
    expect(new Set(claims)).toEqual(new Set(['published']));
  });
});
