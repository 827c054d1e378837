import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbDedupStore } from '../../../lambdas/ingest/adapters/dynamodb-dedup';
import { S3ClaimCheckStore } from '../../../lambdas/ingest/adapters/s3-claim-check';
import { parseTokenSecret, SecretTokenSource } from '../../../lambdas/ingest/adapters/secret-tokens';
import { SqsQuarantine } from '../../../lambdas/ingest/adapters/sqs-quarantine';

const region = 'us-east-1';
const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);
const secretsMock = mockClient(SecretsManagerClient);
const documentMock = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
  secretsMock.reset();
  documentMock.reset();
});

describe('SqsQuarantine', () => {
  const quarantine = () =>
    new SqsQuarantine(new SQSClient({ region }), new S3ClaimCheckStore(new S3Client({ region }), 'claims'), {
      queueUrl: 'https://queue',
      maxMessageBytes: 2048,
      now: () => new Date('2026-11-22T00:00:00Z'),
    });
  const record = (position: number, size = 10) => ({
    reason: 'missing_type' as const,
    message: 'no type',
    position,
    record: { pad: 'x'.repeat(size) },
  });

  it('sends records in batches of 10 with the reason as a message attribute', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await quarantine().send(
      Array.from({ length: 12 }, (_, i) => record(i)),
      'req-1',
    );
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
    const first = calls[0]?.args[0].input.Entries?.[0];
    expect(first?.MessageAttributes?.reason?.StringValue).toBe('missing_type');
    expect(JSON.parse(first?.MessageBody ?? '{}')).toEqual({
      reason: 'missing_type',
      message: 'no type',
      position: 0,
      request_id: 'req-1',
      received_at: '2026-11-22T00:00:00.000Z',
      record: { pad: 'x'.repeat(10) },
    });
  });

  it('sends again only the entries SQS failed', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }],
        Failed: [failed('1')],
      })
      .resolves({ Successful: [], Failed: [] });
    await quarantine().send([record(0), record(1)], 'req');
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(['1']);
  });

  it('throws when SQS keeps failing an entry, so the caller does not answer 2xx', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [failed('0')] });
    await expect(quarantine().send([record(0)], 'req')).rejects.toThrow(
      /did not store 1 quarantine messages/,
    );
  });

  it('stores a record too large for a message in S3 and sends where it is', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    s3Mock.on(PutObjectCommand).resolves({});
    await quarantine().send([record(4, 5000)], 'req-9');
    const put = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: 'claims', Key: 'quarantine/2026/11/22/req-9-4.json' });
    expect(JSON.parse(String(put?.Body))).toEqual({ pad: 'x'.repeat(5000) });
    const body = JSON.parse(
      sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0]?.MessageBody ?? '',
    );
    expect(body.record_location).toEqual({ bucket: 'claims', key: 'quarantine/2026/11/22/req-9-4.json' });
    expect(body.record).toBeUndefined();
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});

describe('DynamoDbDedupStore', () => {
  const store = () =>
    new DynamoDbDedupStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region })), {
      tableName: 'dedup',
      ttlSeconds: 7 * 86_400,
      leaseSeconds: 120,
      now: () => Date.parse('2026-11-22T00:00:00Z'),
    });

  it('writes published marks 25 at a time and retries what DynamoDB left unprocessed', async () => {
    documentMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { dedup: [{ PutRequest: { Item: { log_id: 'id-3' } } }] } })
      .resolves({ UnprocessedItems: {} });
    await store().markPublished(Array.from({ length: 26 }, (_, i) => `id-${i}`));
    const calls = documentMock
      .commandCalls(BatchWriteCommand)
      .map((c) => c.args[0].input.RequestItems?.dedup?.length);
    expect(calls.sort()).toEqual([1, 1, 25]);
    const item =
      documentMock.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.dedup?.[0]?.PutRequest
        ?.Item;
    expect(item).toMatchObject({
      status: 'published',
      expires_at: Date.parse('2026-11-29T00:00:00Z') / 1000,
    });
  });

  it('throws when DynamoDB keeps items unprocessed', async () => {
    documentMock
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { dedup: [{ PutRequest: { Item: { log_id: 'a' } } }] } });
    await expect(store().markPublished(['a'])).rejects.toThrow(/1 dedup writes unprocessed after 5 attempts/);
  });
});

describe('SecretTokenSource', () => {
  it('caches the tokens and re-reads at most once per interval when asked to refresh', async () => {
    let now = 0;
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: 'one' }) });
    const source = new SecretTokenSource(new SecretsManagerClient({ region }), {
      secretId: 'token',
      cacheSeconds: 300,
      minRefreshIntervalMs: 30_000,
      now: () => now,
    });
    expect(await source.current()).toEqual(['one']);
    expect(await source.current()).toEqual(['one']);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    await source.refresh();
    await source.refresh();
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    now = 30_000;
    await source.refresh();
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });
});

describe('parseTokenSecret', () => {
  it.each([
    ['{"token": "a"}', ['a']],
    ['{"token": "a", "previous_token": "b"}', ['a', 'b']],
    ['{"tokens": ["a", "b", ""]}', ['a', 'b']],
    ['["a"]', ['a']],
    ['  plain-token \n', ['plain-token']],
  ])('reads %s', (secret, tokens) => {
    expect(parseTokenSecret(secret, 'id')).toEqual(tokens);
  });

  it.each(['{"token": ""}', '{}', '{"token": 5}', '{not json'])(
    'refuses %s without quoting the secret',
    (secret) => {
      expect(() => parseTokenSecret(secret, 'my-secret')).toThrow(/Secret my-secret/);
      try {
        parseTokenSecret(secret, 'my-secret');
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
      }
    },
  );
});

function failed(id: string) {
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: 'try again' };
}
