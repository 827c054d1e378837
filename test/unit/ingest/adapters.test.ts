import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchExecuteStatementCommand,
  type BatchExecuteStatementCommandInput,
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
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
  const NOW = Date.parse('2026-11-22T00:00:00Z');
  const store = () =>
    new DynamoDbDedupStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region })), {
      tableName: 'dedup',
      ttlSeconds: 7 * 86_400,
      leaseSeconds: 120,
      now: () => NOW,
    });
  const ids = (count: number) => Array.from({ length: count }, (_, i) => `id-${i}`);
  const validationError = () =>
    Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
    });

  it('claims fresh log_ids 25 to a request, each INSERT a conditional put of its own', async () => {
    documentMock
      .on(BatchExecuteStatementCommand)
      .callsFake(async (input: BatchExecuteStatementCommandInput) => ({
        Responses: (input.Statements ?? []).map(() => ({ TableName: 'dedup' })),
      }));
    const claims = await store().claim(ids(60), 'lease-1');
    expect(claims).toEqual(Array(60).fill('claimed'));
    const calls = documentMock
      .commandCalls(BatchExecuteStatementCommand)
      .map((c) => c.args[0].input.Statements);
    expect(calls.map((statements) => statements?.length).sort()).toEqual([10, 25, 25]);
    expect(calls[0]?.[0]).toEqual({
      Statement:
        "INSERT INTO \"dedup\" VALUE {'log_id': ?, 'status': ?, 'lease_id': ?, 'lease_expires_at': ?, 'expires_at': ?}",
      Parameters: ['id-0', 'pending', 'lease-1', NOW + 120_000, NOW / 1000 + 7 * 86_400],
    });
    expect(documentMock.commandCalls(BatchGetCommand)).toHaveLength(0);
  });

  it("reads only the log_ids that already had an item, and answers from their delivery's outcome item", async () => {
    documentMock.on(BatchExecuteStatementCommand).resolves({
      Responses: [
        { TableName: 'dedup' },
        { Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } },
        { Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } },
        { Error: { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' } },
      ],
    });
    const pending = { status: 'pending', lease_id: 'earlier', lease_expires_at: NOW + 60_000 };
    documentMock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: {
          dedup: [
            { log_id: 'id-1', ...pending },
            { log_id: 'id-2', ...pending },
            { log_id: 'id-3', status: 'quarantined', expires_at: NOW / 1000 + 100 },
          ],
        },
      })
      .resolvesOnce({
        Responses: { dedup: [{ log_id: 'lease:earlier', published_ids: new Set(['id-1']) }] },
      });
    expect(await store().claim(ids(4), 'lease-2')).toEqual([
      'claimed',
      'published',
      'in-flight',
      'quarantined',
    ]);
    const reads = documentMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.dedup);
    expect(reads[0]).toEqual({
      Keys: [{ log_id: 'id-1' }, { log_id: 'id-2' }, { log_id: 'id-3' }],
      ConsistentRead: true,
    });
    expect(reads[1]?.Keys).toEqual([{ log_id: 'lease:earlier' }]);
    expect(documentMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('takes over a lapsed lease its delivery never finished, only if the item is still as read', async () => {
    documentMock.on(BatchExecuteStatementCommand).resolves({
      Responses: [{ TableName: 'dedup' }, { Error: { Code: 'DuplicateItem', Message: 'duplicate' } }],
    });
    documentMock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: {
          dedup: [{ log_id: 'id-1', status: 'pending', lease_id: 'crashed', lease_expires_at: NOW - 1 }],
        },
      })
      .resolvesOnce({ Responses: { dedup: [] } });
    documentMock.on(PutCommand).resolves({});
    expect(await store().claim(ids(2), 'lease-3')).toEqual(['claimed', 'claimed']);
    expect(documentMock.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { log_id: 'id-1', status: 'pending', lease_id: 'lease-3' },
      ConditionExpression: '#status = :pending AND lease_id = :seen AND lease_expires_at < :now',
      ExpressionAttributeValues: { ':pending': 'pending', ':seen': 'crashed', ':now': NOW },
    });
  });

  it('fails only the claim of a key DynamoDB refuses, never its neighbours', async () => {
    documentMock.on(BatchExecuteStatementCommand).rejects(validationError());
    documentMock.on(BatchGetCommand).callsFake(async (input: BatchGetCommandInput) => {
      const keys = input.RequestItems?.dedup?.Keys ?? [];
      if (keys.some((key) => key.log_id === 'bad')) throw validationError();
      return { Responses: { dedup: [] } };
    });
    documentMock.on(PutCommand).resolves({});
    const claims = await store().claim(['a', 'bad', 'c'], 'lease-4');
    expect(claims[0]).toBe('claimed');
    expect(claims[1]).toBeInstanceOf(Error);
    expect(claims[2]).toBe('claimed');
  });

  it('fails a throttled claim at once, without reading or writing it one by one', async () => {
    documentMock.on(BatchExecuteStatementCommand).resolves({
      Responses: [
        { TableName: 'dedup' },
        { Error: { Code: 'ProvisionedThroughputExceeded', Message: 'The level of configured throughput…' } },
        { Error: { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity…' } },
      ],
    });
    const claims = await store().claim(ids(3), 'lease-6');
    expect(claims[0]).toBe('claimed');
    expect(claims[1]).toBeInstanceOf(Error);
    expect(String(claims[1])).toContain('ProvisionedThroughputExceeded');
    expect(claims[2]).toBeInstanceOf(Error);
    expect(documentMock.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(documentMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('fails every claim of a request DynamoDB throttles as a whole, and reads none of them', async () => {
    documentMock.on(BatchExecuteStatementCommand).rejects(
      Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
        name: 'ProvisionedThroughputExceededException',
      }),
    );
    const claims = await store().claim(ids(30), 'lease-7');
    expect(claims.every((claim) => claim instanceof Error)).toBe(true);
    expect(documentMock.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(documentMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("records a delivery's published log_ids in one outcome item, not one write each", async () => {
    documentMock.on(PutCommand).resolves({});
    await store().markPublished(ids(26), 'lease-5');
    const puts = documentMock.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts).toEqual([
      {
        TableName: 'dedup',
        Item: {
          log_id: 'lease:lease-5',
          published_ids: new Set(ids(26)),
          expires_at: NOW / 1000 + 7 * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': 'log_id' },
      },
    ]);
    expect(documentMock.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('adds to the outcome item when the delivery recorded another outcome before', async () => {
    documentMock
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    documentMock.on(UpdateCommand).resolves({});
    await store().markPublished(['a', 'b'], 'lease-8');
    expect(documentMock.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: 'dedup',
      Key: { log_id: 'lease:lease-8' },
      UpdateExpression: 'ADD #ids :ids SET expires_at = :expires',
      ExpressionAttributeNames: { '#ids': 'published_ids' },
      ExpressionAttributeValues: { ':ids': new Set(['a', 'b']), ':expires': NOW / 1000 + 7 * 86_400 },
    });
  });

  it('writes marks on each item, 25 at a time, retrying what DynamoDB left unprocessed, when the outcome item would be too large', async () => {
    documentMock.on(PutCommand).rejects(validationError());
    documentMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { dedup: [{ PutRequest: { Item: { log_id: 'id-3' } } }] } })
      .resolves({ UnprocessedItems: {} });
    await store().markPublished(ids(26), 'lease-6');
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
    documentMock.on(PutCommand).rejects(validationError());
    documentMock
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { dedup: [{ PutRequest: { Item: { log_id: 'a' } } }] } });
    await expect(store().markPublished(['a'], 'lease-7')).rejects.toThrow(
      /1 lease writes unprocessed after 5 attempts/,
    );
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
