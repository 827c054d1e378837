import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDedupStore } from '../../lambdas/ingest/adapters/dynamodb-dedup';
import { clientConfig, defaultLocalNames, provisionLocal } from '../../local/provision';
import { startSerializingProxy } from '../../local/serializing-proxy';
import { emulator, uniqueName } from '../support/aws';

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

describe('DynamoDbDedupStore on DynamoDB (moto)', () => {
  it('lets exactly one of many concurrent claims on a log_id win', async () => {
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claim('race', `lease-${i}`)));
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c === 'in-flight')).toHaveLength(9);
  });

  it('reports a claimed but unmarked record as in flight until its lease lapses, then lets a retry publish it', async () => {
    expect(await store.claim('crash', 'first-delivery')).toBe('claimed');
    // The first delivery dies here: published or not, it never marks the record.
    now += 60_000;
    expect(await store.claim('crash', 'second-delivery')).toBe('in-flight');
    now += 61_000;
    expect(await store.claim('crash', 'third-delivery')).toBe('claimed');
  });

  it('reports published and quarantined records as such for the whole dedup window', async () => {
    await store.claim('done', 'lease');
    await store.markPublished(['done']);
    await store.claim('bad', 'lease');
    await store.markQuarantined(['bad']);
    now += 6 * 86_400_000;
    expect(await store.claim('done', 'later')).toBe('published');
    expect(await store.claim('bad', 'later')).toBe('quarantined');
  });

  it('forgets a record once the window has passed, even before DynamoDB TTL deletes it', async () => {
    await store.claim('old', 'lease');
    await store.markPublished(['old']);
    now += 7 * 86_400_000 + 1000;
    expect(await store.claim('old', 'next-week')).toBe('claimed');
  });

  it('releases only its own pending claims', async () => {
    await store.claim('mine', 'lease-a');
    await store.claim('theirs', 'lease-b');
    await store.release(['mine', 'theirs'], 'lease-a');
    expect(await store.claim('mine', 'lease-c')).toBe('claimed');
    expect(await store.claim('theirs', 'lease-c')).toBe('in-flight');
  });
});
