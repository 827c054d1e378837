import { gzipSync } from 'node:zlib';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../local/provision';
import { useEmulatorEnvironment } from '../support/aws';
import { type IngestOnMoto, startIngestOnMoto } from '../support/ingest-server';
import { drain } from '../support/queues';

const aws = useEmulatorEnvironment();
const sqs = new SQSClient(clientConfig(aws));
let ingest: IngestOnMoto;
let TOKEN: string;

const entry = (id: string, type: string, extra: Record<string, unknown> = {}) => ({
  log_id: id,
  data: { log_id: id, type, date: '2026-11-22T10:00:00.000Z', ip: '203.0.113.9', ...extra },
});
const queueOf = (routeId: string) =>
  ingest.resources.routeQueues.find((q) => q.routeId === routeId)?.queueUrl ?? '';
const detailsIn = async (routeId: string, expected: number, timeoutMs?: number) =>
  (await drain(sqs, queueOf(routeId), expected, timeoutMs)).map((m) => JSON.parse(m.Body ?? '{}').detail);

async function post(body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(ingest.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  ingest = await startIngestOnMoto('it-ingest', {
    PUT_EVENTS_MAX_BYTES: '8192',
    TOKEN_REFRESH_INTERVAL_SECONDS: '1',
  });
  TOKEN = ingest.token;
});

afterAll(async () => {
  await ingest?.close();
  sqs.destroy();
});

describe('ingest against moto, through the Function URL mapping', () => {
  const batch = [
    entry('it-f-1', 'f', { user_name: 'jane@example.com' }),
    entry('it-fp-1', 'fp'),
    entry('it-s-1', 's'),
    entry('it-ss-1', 'ss'),
    entry('it-fs-1', 'fs'),
    entry('it-gd-1', 'gd_auth_succeed'),
    entry('it-limit-1', 'limit_wc'),
    entry('it-sapi-1', 'sapi', { scope: ['read:users'], client_id: null }),
    entry('it-new-1', 'a_code_auth0_adds_next_year'),
  ];

  it('delivers every record posted exactly once, to the route of its type', async () => {
    const response = await post(JSON.stringify(batch));
    expect(response).toEqual({
      status: 200,
      body: { received: 9, published: 9, duplicates: 0, quarantined: 0 },
    });

    const expected: Record<string, string[]> = {
      'failed-logins': ['it-f-1', 'it-fp-1'],
      'successful-logins': ['it-s-1'],
      signups: ['it-fs-1', 'it-ss-1'],
      mfa: ['it-gd-1'],
      'rate-limits-and-blocks': ['it-limit-1'],
      'management-api': ['it-sapi-1'],
    };
    const routed: Record<string, Record<string, unknown>> = {};
    for (const [routeId, ids] of Object.entries(expected)) {
      const details = await detailsIn(routeId, ids.length);
      expect(details.map((d) => d.log_id).sort(), routeId).toEqual(ids);
      for (const detail of details) routed[detail.log_id] = detail;
    }
    // The record travels verbatim (array scope, null client_id) with its category added.
    const sapi = batch.find((e) => e.log_id === 'it-sapi-1');
    expect(routed['it-sapi-1']).toEqual({
      log_id: 'it-sapi-1',
      data: sapi?.data,
      category: 'management.success',
    });
  });

  it('adds nothing when Auth0 delivers the same batch again', async () => {
    const response = await post(JSON.stringify(batch));
    expect(response).toEqual({
      status: 200,
      body: { received: 9, published: 0, duplicates: 9, quarantined: 0 },
    });
    const again = await Promise.all(ingest.resources.routeQueues.map((q) => drain(sqs, q.queueUrl, 0, 2500)));
    expect(again.flat()).toHaveLength(0);
  });

  it('publishes nothing for a wrong token', async () => {
    const response = await post(JSON.stringify([entry('it-denied-1', 'f')]), {
      authorization: 'Bearer not-the-token',
    });
    expect(response).toEqual({
      status: 401,
      body: { message: 'Unauthorized: the Authorization header holds no valid token.' },
    });
    expect(await detailsIn('failed-logins', 0, 2500)).toEqual([]);
    const dynamoDb = new DynamoDBClient(clientConfig(aws));
    const item = await dynamoDb.send(
      new GetItemCommand({ TableName: ingest.names.dedupTableName, Key: { log_id: { S: 'it-denied-1' } } }),
    );
    expect(item.Item).toBeUndefined();
    dynamoDb.destroy();
  });

  it('delivers the rest of a mixed batch and quarantines the bad record with the reason', async () => {
    const bad = { log_id: 'it-bad-1', data: { date: '2026-11-22T10:00:00Z', description: 'no type here' } };
    const response = await post(JSON.stringify([entry('it-mixed-1', 'f'), bad, entry('it-mixed-2', 's')]));
    expect(response.body).toEqual({ received: 3, published: 2, duplicates: 0, quarantined: 1 });
    expect((await detailsIn('failed-logins', 1)).map((d) => d.log_id)).toEqual(['it-mixed-1']);
    expect((await detailsIn('successful-logins', 1)).map((d) => d.log_id)).toEqual(['it-mixed-2']);
    const [message] = await drain(sqs, ingest.resources.quarantineQueueUrl, 1);
    expect(message?.MessageAttributes?.reason?.StringValue).toBe('missing_type');
    expect(JSON.parse(message?.Body ?? '{}')).toMatchObject({
      reason: 'missing_type',
      log_id: 'it-bad-1',
      position: 1,
      record: bad,
    });
    // Logged as a WARN line with the reason, and without the record itself.
    const warning = ingest.logged.find((line) => line.includes('it-bad-1'));
    expect(JSON.parse(warning ?? '{}')).toMatchObject({
      level: 'WARN',
      message: 'Quarantined records',
      records: [{ reason: 'missing_type', logId: 'it-bad-1', position: 1 }],
    });
    expect(ingest.logged.join('')).not.toContain('no type here');
  });

  it('accepts gzip-compressed JSON lines, which the Function URL hands over base64-encoded', async () => {
    const lines = [entry('it-gz-1', 'f'), entry('it-gz-2', 'fu')].map((e) => JSON.stringify(e)).join('\r\n');
    const response = await post(gzipSync(`${lines}\r\n`), { 'content-encoding': 'gzip' });
    expect(response.body).toMatchObject({ received: 2, published: 2 });
    expect((await detailsIn('failed-logins', 2)).map((d) => d.log_id).sort()).toEqual(['it-gz-1', 'it-gz-2']);
  });

  it('claim-checks a record too large for an event and routes the pointer like the record', async () => {
    const big = entry('it-big-1', 'f', { details: { body: 'z'.repeat(20_000) } });
    const response = await post(JSON.stringify([big]));
    expect(response.body).toMatchObject({ published: 1 });
    const [detail] = await detailsIn('failed-logins', 1);
    expect(detail.claim_check).toMatchObject({
      bucket: ingest.names.claimCheckBucket,
      key: expect.stringMatching(/it-big-1\.json$/),
    });
    const s3 = new S3Client({ ...clientConfig(aws), forcePathStyle: true });
    const object = await s3.send(
      new GetObjectCommand({ Bucket: detail.claim_check.bucket, Key: detail.claim_check.key }),
    );
    expect(JSON.parse((await object.Body?.transformToString()) ?? '{}')).toEqual({
      log_id: 'it-big-1',
      data: big.data,
      category: 'auth.login.fail',
    });
    s3.destroy();
  });

  it('accepts the new and the previous token during a rotation', async () => {
    const secrets = new SecretsManagerClient(clientConfig(aws));
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: ingest.resources.tokenSecretId,
        SecretString: JSON.stringify({ token: `${TOKEN}-next`, previous_token: TOKEN }),
      }),
    );
    secrets.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the refresh interval since the wrong token
    const withNew = await post(JSON.stringify([entry('it-rot-1', 's')]), {
      authorization: `Bearer ${TOKEN}-next`,
    });
    const withOld = await post(JSON.stringify([entry('it-rot-2', 's')]), { authorization: TOKEN });
    expect([withNew.status, withOld.status]).toEqual([200, 200]);
    expect((await detailsIn('successful-logins', 2)).map((d) => d.log_id).sort()).toEqual([
      'it-rot-1',
      'it-rot-2',
    ]);
  });

  it('logs JSON and EMF metrics for each delivery, and never a token', () => {
    const output = ingest.logged.join('');
    expect(output).toContain('Ingested a delivery');
    const metrics = ingest.logged
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"CloudWatchMetrics"'));
    expect(
      metrics.map((line) => JSON.parse(line)).some((emf) => emf.Published === 9 && emf.Received === 9),
    ).toBe(true);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain('not-the-token');
  });
});
