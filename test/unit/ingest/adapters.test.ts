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

  it('reports an entry SQS keeps failing, so the caller does not answer 2xx', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [failed('0')] });
    const failures = await quarantine().send([record(0)], 'req');
    expect(failures).toEqual([{ index: 0, reason: expect.stringMatching(/not stored after 3 attempts/) }]);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('stores in S3 a record SQS refuses for its content, sends a pointer, and keeps its neighbours', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: '' }],
        Failed: [senderFault('1')],
      })
      .resolves({ Successful: [], Failed: [] });
    s3Mock.on(PutObjectCommand).resolves({});
    const failures = await quarantine().send([record(0), record(1)], 'req-5');
    expect(failures).toEqual([]);
    const retry = sqsMock.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries ?? [];
    expect(retry.map((entry) => entry.Id)).toEqual(['1']);
    expect(JSON.parse(retry[0]?.MessageBody ?? '{}').record_location).toEqual({
      bucket: 'claims',
      key: 'quarantine/2026/11/22/req-5-1.json',
    });
  });

  it('fails only the record whose overflow store fails', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    s3Mock.on(PutObjectCommand).rejects(new Error('S3 is down'));
    const failures = await quarantine().send([record(0), record(1, 5000), record(2)], 'req');
    expect(failures).toEqual([{ index: 1, reason: expect.stringMatching(/S3 is down/) }]);
    const sent = sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(sent.map((entry) => entry.Id)).toEqual(['0', '2']);
  });

  it('writes any record as valid JSON and XML character data: deep nesting, U+FFFF, lone surrogates', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const odd = { text: 'a\uffffb\ufffe\ud800c\u0001' };
    const failures = await new SqsQuarantine(
      new SQSClient({ region }),
      new S3ClaimCheckStore(new S3Client({ region }), 'claims'),
      { queueUrl: 'https://queue', maxMessageBytes: 1024 * 1024 },
    ).send(
      [
        { ...record(0), record: deep },
        { ...record(1), record: odd },
      ],
      'req',
    );
    expect(failures).toEqual([]);
    const bodies = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((entry) => entry.MessageBody ?? '');
    const xmlChar = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd]*$/u;
    for (const body of bodies) expect(body).toMatch(xmlChar);
    expect(JSON.parse(bodies[1] ?? '').record).toEqual(odd);
    expect(bodies[0]?.startsWith('{"reason"')).toBe(true);
    expect(bodies[0]).toContain(`${'['.repeat(50_000)}"bottom"${']'.repeat(50_000)}`);
  });

  it('keeps each batch within the size limit SQS puts on a whole batch', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await quarantine().send(
      Array.from({ length: 4 }, (_, i) => record(i, 700)),
      'req',
    );
    const sizes = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .map((c) => (c.args[0].input.Entries ?? []).reduce((sum, e) => sum + (e.MessageBody?.length ?? 0), 0));
    expect(sizes).toHaveLength(2);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(2048);
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
    await expect(store().markPublished(['a'])).rejects.toThrow(/1 lease writes unprocessed after 5 attempts/);
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

function senderFault(id: string) {
  return { Id: id, SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad characters' };
}

function failed(id: string) {
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: 'try again' };
}
