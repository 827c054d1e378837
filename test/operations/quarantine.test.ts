/**
 * `a0bridge quarantine list|redrive` in-process against the real management handler and the real ingest
 * handler on moto, as npm start serves them: listing never shows a record, a redrive goes through the ingest
 * URL (dedup, checks and quarantine as for Auth0), and a message is deleted only once its record is safe.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientConfig } from '../../local/provision';
import { SAMPLE_SECRET_VALUE, sampleActionEvent } from '../support/action-events';
import { drain } from '../support/queues';
import { type OperationsStack, startOperationsStack } from './support/stack';

/** Values that must never leave the quarantine through the list: personal data inside the records. */
const PRIVATE_EMAIL = 'private.person@example.com';
const PRIVATE_NOTE = 'do-not-print-this-note-7c1f';
const DATE = '2026-11-22T10:00:00.000Z';

let stack: OperationsStack;
let sequence = 0;

/** A log_id no other test uses. */
const logId = (label: string) => `9002026112200000000${label}${String(++sequence).padStart(4, '0')}`;

/** A failed login (type f): valid, routed to failed-logins. */
function failedLogin(id: string) {
  return {
    log_id: id,
    data: {
      type: 'f',
      date: DATE,
      description: 'Wrong password',
      user_name: PRIVATE_EMAIL,
      ip: '203.0.113.7',
    },
  };
}

/** A record with no type: quarantined as missing_type, whatever is done to it. */
function withoutType(id: string) {
  return { log_id: id, data: { date: DATE, description: PRIVATE_NOTE, user_name: PRIVATE_EMAIL } };
}

async function depth(): Promise<number> {
  const output = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.resources.quarantineQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(output.Attributes?.ApproximateNumberOfMessages) +
    Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

/** The quarantine's messages, left in place (visibility 0). */
async function quarantined(): Promise<Array<{ id: string; body: Record<string, unknown> }>> {
  const output = await stack.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: stack.resources.quarantineQueueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
    }),
  );
  return (output.Messages ?? []).map((message) => ({
    id: message.MessageId as string,
    body: JSON.parse(message.Body ?? '{}'),
  }));
}

/** A message as the ingest writes one for a record EventBridge refused (lambdas/ingest/adapters/sqs-quarantine.ts). */
async function quarantineAsRejected(key: string, record: unknown, extra: Record<string, unknown> = {}) {
  await stack.sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.resources.quarantineQueueUrl,
      MessageBody: JSON.stringify({
        reason: 'publish_rejected',
        message: 'EventBridge refused the event with InternalFailure: try again',
        log_id: key,
        error_code: 'InternalFailure',
        position: 0,
        request_id: 'test-request',
        received_at: new Date().toISOString(),
        ...(record === undefined ? {} : { record }),
        ...extra,
      }),
      MessageAttributes: { reason: { DataType: 'String', StringValue: 'publish_rejected' } },
    }),
  );
}

const dynamoDb = () => new DynamoDBClient(clientConfig(stack.aws));

/** The dedup mark of a refused record, on its own item (`status = quarantined`). */
async function markQuarantinedOnItem(key: string) {
  const client = dynamoDb();
  await client.send(
    new PutItemCommand({
      TableName: stack.names.dedupTableName,
      Item: marshall({
        log_id: key,
        status: 'quarantined',
        expires_at: Math.floor(Date.now() / 1000) + 3600,
      }),
    }),
  );
  client.destroy();
}

/** The same mark written by a delivery's outcome record: the item pending under its lease, the lease listing it. */
async function markQuarantinedByLease(key: string) {
  const client = dynamoDb();
  const lease = `lease-${sequence}`;
  const expires = Math.floor(Date.now() / 1000) + 3600;
  await client.send(
    new PutItemCommand({
      TableName: stack.names.dedupTableName,
      Item: marshall({
        log_id: key,
        status: 'pending',
        lease_id: lease,
        lease_expires_at: Date.now() + 600_000,
        expires_at: expires,
      }),
    }),
  );
  await client.send(
    new PutItemCommand({
      TableName: stack.names.dedupTableName,
      Item: marshall({ log_id: `lease:${lease}`, quarantined_ids: new Set([key]), expires_at: expires }),
    }),
  );
  client.destroy();
}

beforeAll(async () => {
  // Small messages, so that a record of a few KB is stored in S3 as it would be past SQS's limit.
  stack = await startOperationsStack({ quarantineMaxMessageBytes: 4096 });
});

beforeEach(async () => {
  await stack.purge(stack.resources.quarantineQueueUrl, stack.routeQueue('failed-logins'));
});

afterAll(async () => {
  await stack?.close();
});

describe('a0bridge quarantine list', () => {
  it('shows each record’s reason, log_id and time, and never its contents', async () => {
    // GIVEN a record without a type, quarantined by the ingest
    const id = logId('list');
    expect((await stack.post([withoutType(id)])).body).toMatchObject({ quarantined: 1 });

    // WHEN the quarantine is listed, as a table and as JSON
    const text = await stack.a0bridge(['quarantine', 'list']);
    const json = await stack.a0bridge(['quarantine', 'list', '--json']);

    // THEN both name the reason and the log_id, and neither holds a value of the record
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('missing_type');
    expect(text.stdout).toContain(id);
    expect(text.stdout).toMatch(/1 waiting, 0 in flight/);
    const listing = JSON.parse(json.stdout);
    expect(listing.messages).toEqual([
      expect.objectContaining({ reason: 'missing_type', log_id: id, surface: 'logs', stored: 'inline' }),
    ]);
    expect(listing.messages[0].received_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    for (const output of [text.stdout, text.stderr, json.stdout]) {
      expect(output).not.toContain(PRIVATE_EMAIL);
      expect(output).not.toContain(PRIVATE_NOTE);
    }
    // AND listing hid the message only while it read it
    expect(listing.depth).toEqual({ visible: 1, inFlight: 0 });
    expect(await depth()).toBe(1);
  });

  it('reads at most --limit messages, says so, and filters by --reason', async () => {
    await stack.post([withoutType(logId('lim')), withoutType(logId('lim')), withoutType(logId('lim'))]);
    await quarantineAsRejected(logId('lim'), failedLogin('x'));

    const limited = JSON.parse(
      (await stack.a0bridge(['quarantine', 'list', '--limit', '2', '--json'])).stdout,
    );
    expect(limited.messages).toHaveLength(2);
    expect(limited.truncated).toBe(true);

    const rejected = JSON.parse(
      (await stack.a0bridge(['quarantine', 'list', '--reason', 'publish_rejected', '--json'])).stdout,
    );
    expect(rejected.messages.map((m: { reason: string }) => m.reason)).toEqual(['publish_rejected']);
    expect(await depth()).toBe(4);
  });

  it('refuses a limit past 500, naming it', async () => {
    const run = await stack.a0bridge(['quarantine', 'list', '--limit', '501']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Error 400.*limit must be a whole number from 1 to 500/);
  });
});

describe('a0bridge quarantine redrive', () => {
  it('publishes a fixed record once and deletes its message', async () => {
    // GIVEN a failed login EventBridge once refused (the dedup table remembers it as quarantined)
    const id = logId('fix');
    await markQuarantinedOnItem(id);
    await quarantineAsRejected(id, failedLogin(id));

    // WHEN it is redriven
    const run = await stack.a0bridge(['quarantine', 'redrive', '--json']);

    // THEN the ingest published it, its route got it once, and the message is gone
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.results).toEqual([
      expect.objectContaining({ log_id: id, outcome: 'published', deleted: true, path: '/', status: 200 }),
    ]);
    const routed = await drain(stack.sqs, stack.routeQueue('failed-logins'), 1);
    expect(routed.map((m) => JSON.parse(m.Body ?? '{}').detail.log_id)).toEqual([id]);
    expect(await depth()).toBe(0);
    // AND it stays published once: Auth0 delivering it again is a duplicate, nothing is routed
    expect((await stack.post([failedLogin(id)])).body).toMatchObject({ published: 0, duplicates: 1 });
    expect(await drain(stack.sqs, stack.routeQueue('failed-logins'), 0, 2000)).toHaveLength(0);
  });

  it('forgets a quarantined mark written on the delivery’s outcome record too', async () => {
    const id = logId('lease');
    await markQuarantinedByLease(id);
    await quarantineAsRejected(id, failedLogin(id));

    const report = JSON.parse((await stack.a0bridge(['quarantine', 'redrive', '--json'])).stdout);

    expect(report.results).toEqual([
      expect.objectContaining({ log_id: id, outcome: 'published', deleted: true }),
    ]);
    expect(await drain(stack.sqs, stack.routeQueue('failed-logins'), 1)).toHaveLength(1);
  });

  it('leaves a still-invalid record quarantined: one message, not two', async () => {
    // GIVEN a record without a type
    const id = logId('bad');
    await stack.post([withoutType(id)]);
    const [before] = await quarantined();

    // WHEN it is redriven
    const run = await stack.a0bridge(['quarantine', 'redrive']);

    // THEN it was quarantined again: the new message replaced the old one
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('quarantined_again');
    const after = await quarantined();
    expect(after).toHaveLength(1);
    expect(after[0]?.body).toMatchObject({ reason: 'missing_type', log_id: id });
    expect(after[0]?.id).not.toBe(before?.id);
    expect(run.stdout).not.toContain(PRIVATE_NOTE);
  });

  it('changes nothing with --dry-run', async () => {
    const fixed = logId('dry');
    await markQuarantinedOnItem(fixed);
    await quarantineAsRejected(fixed, failedLogin(fixed));
    await stack.post([withoutType(logId('dry'))]);
    const before = (await quarantined()).map(({ id }) => id).sort();

    const run = await stack.a0bridge(['quarantine', 'redrive', '--dry-run', '--json']);

    const report = JSON.parse(run.stdout);
    expect(report.dry_run).toBe(true);
    expect(report.counts).toMatchObject({ would_post: 2, published: 0, quarantined_again: 0 });
    expect(report.results.every((r: { deleted: boolean }) => !r.deleted)).toBe(true);
    expect((await quarantined()).map(({ id }) => id).sort()).toEqual(before);
    expect(await drain(stack.sqs, stack.routeQueue('failed-logins'), 0, 2000)).toHaveLength(0);
    // AND the dedup mark is still there: Auth0 delivering the refused record again is still a duplicate
    expect((await stack.post([failedLogin(fixed)])).body).toMatchObject({ published: 0, duplicates: 1 });
  });

  it('touches only the messages of --reason', async () => {
    const fixed = logId('rsn');
    await markQuarantinedOnItem(fixed);
    await quarantineAsRejected(fixed, failedLogin(fixed));
    const invalid = logId('rsn');
    await stack.post([withoutType(invalid)]);
    const [kept] = (await quarantined()).filter(({ body }) => body.reason === 'missing_type');

    const report = JSON.parse(
      (await stack.a0bridge(['quarantine', 'redrive', '--reason', 'publish_rejected', '--json'])).stdout,
    );

    expect(report.results).toEqual([expect.objectContaining({ log_id: fixed, outcome: 'published' })]);
    expect(report.skipped).toBe(1);
    const left = await quarantined();
    expect(left.map(({ id }) => id)).toEqual([kept?.id]);
  });

  it('posts a record stored in S3 back from there, and one of another bucket not at all', async () => {
    // GIVEN a refused failed login too large for SQS, stored under quarantine/, and a pointer elsewhere
    const id = logId('s3');
    const record = failedLogin(id);
    Object.assign(record.data, { padding: 'x'.repeat(5000) });
    const s3 = new S3Client({ ...clientConfig(stack.aws), forcePathStyle: true });
    const key = `quarantine/2026/11/22/test-${id}.json`;
    await s3.send(
      new PutObjectCommand({ Bucket: stack.names.claimCheckBucket, Key: key, Body: JSON.stringify(record) }),
    );
    s3.destroy();
    await markQuarantinedOnItem(id);
    await quarantineAsRejected(id, undefined, {
      record_location: { bucket: stack.names.claimCheckBucket, key },
    });
    await quarantineAsRejected(logId('s3'), undefined, { record_location: { bucket: 'someone-else', key } });

    const listing = JSON.parse((await stack.a0bridge(['quarantine', 'list', '--json'])).stdout);
    expect(listing.messages.map((m: { stored: string }) => m.stored)).toEqual(['s3', 's3']);

    const report = JSON.parse((await stack.a0bridge(['quarantine', 'redrive', '--json'])).stdout);

    expect(report.counts).toMatchObject({ published: 1, not_redrivable: 1 });
    expect(report.results.find((r: { outcome: string }) => r.outcome === 'not_redrivable').detail).toMatch(
      /bucket "someone-else"/,
    );
    const [routed] = await drain(stack.sqs, stack.routeQueue('failed-logins'), 1);
    expect(JSON.parse(routed?.Body ?? '{}').detail.data.padding).toHaveLength(5000);
    expect(await depth()).toBe(1);
  });

  it('re-quarantines a large invalid record under a new S3 pointer', async () => {
    const id = logId('big');
    await stack.post([{ ...withoutType(id), padding: 'y'.repeat(6000) }]);
    const [before] = await quarantined();
    expect(before?.body.record_location).toBeDefined();

    const report = JSON.parse((await stack.a0bridge(['quarantine', 'redrive', '--json'])).stdout);

    expect(report.results).toEqual([
      expect.objectContaining({ outcome: 'quarantined_again', deleted: true }),
    ]);
    const after = await quarantined();
    expect(after).toHaveLength(1);
    expect(after[0]?.body).toMatchObject({ reason: 'missing_type', log_id: id });
    expect(after[0]?.body.record_location).toBeDefined();
  });

  it('posts a refused Actions event to its trigger’s path, once', async () => {
    // GIVEN a post-login event EventBridge refused (stored, as the ingest stores it, without its secrets)
    const { secrets: _secrets, ...event } = sampleActionEvent('post-login', { id: `redrive-${sequence}` });
    const transaction = (event.transaction as { id: string }).id;
    const key = `action:post-login:transaction:${transaction}`;
    await markQuarantinedOnItem(key);
    await quarantineAsRejected(key, event);

    const report = JSON.parse((await stack.a0bridge(['quarantine', 'redrive', '--json'])).stdout);

    expect(report.results).toEqual([
      expect.objectContaining({
        log_id: key,
        outcome: 'published',
        path: '/actions/post-login',
        deleted: true,
      }),
    ]);
    // AND the forwarder Action sending it again is a duplicate: it was published under the same key
    const again = await stack.post(
      sampleActionEvent('post-login', { id: `redrive-${sequence}` }),
      '/actions/post-login',
    );
    expect(again.body).toMatchObject({ published: 0, duplicates: 1 });
    expect(JSON.stringify(report)).not.toContain(SAMPLE_SECRET_VALUE);
  });
});
