/**
 * The quarantine core over fakes: what a redrive posts for each kind of record, and which answers delete a
 * message. What moto cannot show (a 503, an ingest that does not answer, a queue that repeats itself) is here.
 */
import { describe, expect, it } from 'vitest';
import type {
  IngestAnswer,
  IngestRequest,
  QuarantineQueue,
  QueueMessage,
  StoredRecordLocation,
} from '../../lambdas/operations/ports';
import { listQuarantine, type QuarantinePorts, redriveQuarantine } from '../../lambdas/operations/quarantine';

const BUCKET = 'claim-check';

/** An SQS queue in memory: receiving hides a message, release shows it again, delete removes it. */
class FakeQueue implements QuarantineQueue {
  public readonly hidden = new Set<string>();
  public readonly deleted: string[] = [];
  public receives = 0;
  private readonly messages: QueueMessage[];

  public constructor(
    bodies: readonly unknown[],
    private readonly repeat = false,
  ) {
    this.messages = bodies.map((body, index) => ({
      messageId: `m${index}`,
      receiptHandle: `h${index}`,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }));
  }

  public async receive(max: number): Promise<QueueMessage[]> {
    this.receives++;
    const visible = this.messages.filter(
      (m) => !this.deleted.includes(m.messageId) && (this.repeat || !this.hidden.has(m.receiptHandle)),
    );
    const batch = visible.slice(0, max);
    for (const message of batch) this.hidden.add(message.receiptHandle);
    return batch;
  }

  public async delete(receiptHandle: string): Promise<void> {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (message) this.deleted.push(message.messageId);
    this.hidden.delete(receiptHandle);
  }

  public async release(receiptHandles: readonly string[]): Promise<void> {
    for (const handle of receiptHandles) this.hidden.delete(handle);
  }

  public async depth() {
    return {
      visible: this.messages.length - this.deleted.length - this.hidden.size,
      inFlight: this.hidden.size,
    };
  }
}

function ports(queue: FakeQueue, answer: (request: IngestRequest) => IngestAnswer | Promise<IngestAnswer>) {
  const posted: IngestRequest[] = [];
  const cleared: string[] = [];
  const stored = new Map<string, string>();
  const value: QuarantinePorts = {
    queue,
    records: {
      read: async ({ bucket, key }: StoredRecordLocation) => {
        const text = stored.get(`${bucket}/${key}`);
        if (text === undefined) throw new Error('NoSuchKey');
        return text;
      },
    },
    ingest: {
      post: async (request) => {
        posted.push(request);
        return answer(request);
      },
    },
    dedup: {
      clearQuarantined: async (key) => {
        cleared.push(key);
        return true;
      },
    },
    logger: { info: () => undefined, warn: () => undefined },
  };
  return { ports: value, posted, cleared, stored };
}

const ok = (counts: Record<string, number>): IngestAnswer => ({
  statusCode: 200,
  body: { received: 1, published: 0, duplicates: 0, quarantined: 0, ...counts },
});

const message = (fields: Record<string, unknown>) => ({
  message: 'why',
  position: 0,
  request_id: 'r',
  received_at: '2026-11-22T10:00:00.000Z',
  ...fields,
});

const redrive = (p: QuarantinePorts, options: { dryRun?: boolean; reason?: string; limit?: number } = {}) =>
  redriveQuarantine(
    p,
    { claimCheckBucket: BUCKET },
    {
      limit: options.limit ?? 50,
      dryRun: options.dryRun ?? false,
      ...(options.reason ? { reason: options.reason } : {}),
    },
  );

describe('redrive', () => {
  it('keeps the message of a record the ingest answered 503 for, and shows it again', async () => {
    const queue = new FakeQueue([
      message({ reason: 'publish_rejected', log_id: 'a', record: { log_id: 'a' } }),
    ]);
    const { ports: p } = ports(queue, () => ({ statusCode: 503, body: { message: 'try again', failed: 1 } }));

    const report = await redrive(p);

    expect(report.results).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        deleted: false,
        status: 503,
        detail: expect.stringContaining('try again'),
      }),
    ]);
    expect(queue.deleted).toEqual([]);
    expect(queue.hidden.size).toBe(0);
  });

  it('keeps the message when the ingest does not answer at all', async () => {
    const queue = new FakeQueue([message({ reason: 'missing_type', log_id: 'a', record: { log_id: 'a' } })]);
    const { ports: p } = ports(queue, () => Promise.reject(new Error('connect ECONNREFUSED')));

    const report = await redrive(p);

    expect(report.results[0]).toMatchObject({ outcome: 'failed', deleted: false });
    expect(report.results[0]?.detail).toContain('ECONNREFUSED');
    expect(queue.deleted).toEqual([]);
    expect(queue.hidden.size).toBe(0);
  });

  it('keeps a record the ingest refuses (400), such as a line that never was JSON, posted as the text it was', async () => {
    const queue = new FakeQueue([message({ reason: 'invalid_json', record: '{"log_id": "x", oops' })]);
    const { ports: p, posted } = ports(queue, () => ({
      statusCode: 400,
      body: { message: 'Body is not JSON' },
    }));

    const report = await redrive(p);

    expect(posted).toEqual([{ path: '/', body: '{"log_id": "x", oops' }]);
    expect(report.results[0]).toMatchObject({ outcome: 'refused', deleted: false, status: 400 });
    expect(queue.deleted).toEqual([]);
  });

  it('deletes on 200 only: published, duplicate or quarantined again', async () => {
    const queue = new FakeQueue([
      message({ reason: 'missing_type', log_id: 'p', record: { log_id: 'p' } }),
      message({ reason: 'missing_type', log_id: 'd', record: { log_id: 'd' } }),
      message({ reason: 'missing_type', log_id: 'q', record: { log_id: 'q' } }),
    ]);
    const answers: Record<string, IngestAnswer> = {
      p: ok({ published: 1 }),
      d: ok({ duplicates: 1 }),
      q: ok({ quarantined: 1 }),
    };
    const { ports: p } = ports(
      queue,
      (request) => answers[JSON.parse(request.body)[0].log_id] as IngestAnswer,
    );

    const report = await redrive(p);

    expect(report.results.map(({ log_id, outcome, deleted }) => [log_id, outcome, deleted])).toEqual([
      ['p', 'published', true],
      ['d', 'duplicate', true],
      ['q', 'quarantined_again', true],
    ]);
    expect(queue.deleted.sort()).toEqual(['m0', 'm1', 'm2']);
  });

  it('reports a record it made safe whose message it could not delete, and goes on with the others', async () => {
    const queue = new FakeQueue([
      message({ reason: 'missing_type', log_id: 'a', record: {} }),
      message({ reason: 'missing_type', log_id: 'b', record: {} }),
    ]);
    const deleteOnce = queue.delete.bind(queue);
    queue.delete = async (handle) => {
      if (handle === 'h0') throw new Error('ReceiptHandleIsInvalid');
      return deleteOnce(handle);
    };
    const { ports: p } = ports(queue, () => ok({ published: 1 }));

    const report = await redrive(p);

    expect(report.results.map(({ log_id, outcome, deleted }) => [log_id, outcome, deleted])).toEqual([
      ['a', 'published', false],
      ['b', 'published', true],
    ]);
    expect(report.results[0]?.detail).toMatch(/could not be deleted \(Error: ReceiptHandleIsInvalid\)/);
    expect(queue.hidden.size).toBe(0);
  });

  it('does not post a refused record whose quarantined mark could not be cleared', async () => {
    const queue = new FakeQueue([message({ reason: 'publish_rejected', log_id: 'r', record: {} })]);
    const { ports: p, posted } = ports(queue, () => ok({ published: 1 }));
    p.dedup.clearQuarantined = () => Promise.reject(new Error('ProvisionedThroughputExceededException'));

    const report = await redrive(p);

    expect(posted).toEqual([]);
    expect(report.results[0]).toMatchObject({ outcome: 'failed', deleted: false });
    expect(queue.deleted).toEqual([]);
  });

  it('keeps a message when the ingest answered 200 for no record at all', async () => {
    const queue = new FakeQueue([message({ reason: 'missing_type', record: { log_id: 'x' } })]);
    const { ports: p } = ports(queue, () => ok({ received: 0 }));

    expect((await redrive(p)).results[0]).toMatchObject({ outcome: 'refused', deleted: false });
    expect(queue.deleted).toEqual([]);
  });

  it('keeps the digits of numbers a double cannot hold, as the ingest received them', async () => {
    const body = `{"reason":"publish_rejected","message":"m","log_id":"n","position":0,"record":{"log_id":"n","data":{"type":"f","big":123456789012345678901234567890,"small":0.10000000000000000001}}}`;
    const queue = new FakeQueue([body]);
    const { ports: p, posted } = ports(queue, () => ok({ published: 1 }));

    await redrive(p);

    expect(posted[0]?.body).toBe(
      '[{"log_id":"n","data":{"type":"f","big":123456789012345678901234567890,"small":0.10000000000000000001}}]',
    );
  });

  it('forgets the quarantined mark of refused records only, and only when it posts', async () => {
    const queue = new FakeQueue([
      message({ reason: 'publish_rejected', log_id: 'r', record: { log_id: 'r' } }),
      message({ reason: 'missing_type', log_id: 'v', record: { log_id: 'v' } }),
    ]);
    const dry = ports(queue, () => ok({ published: 1 }));
    await redrive(dry.ports, { dryRun: true });
    expect(dry.cleared).toEqual([]);
    expect(dry.posted).toEqual([]);

    const real = ports(queue, () => ok({ published: 1 }));
    await redrive(real.ports);
    expect(real.cleared).toEqual(['r']);
  });

  it('posts Actions events to their trigger with the Idempotency-Key they came with, Event Streams to /events', async () => {
    const event = { transaction: { id: 't' } };
    const cloudEvent = { id: 'evt-1', source: 's', specversion: '1.0', type: 'user.created' };
    const queue = new FakeQueue([
      message({ reason: 'publish_rejected', log_id: 'action:post-login:key:abc:def', record: event }),
      message({ reason: 'publish_rejected', log_id: 'action:post-login:transaction:t', record: event }),
      message({ reason: 'publish_rejected', log_id: 'event:evt-1', record: cloudEvent }),
    ]);
    const { ports: p, posted } = ports(queue, () => ok({ published: 1 }));

    await redrive(p);

    expect(posted).toHaveLength(3);
    expect(posted).toEqual(
      expect.arrayContaining([
        {
          path: '/actions/post-login',
          body: JSON.stringify(event),
          headers: { 'idempotency-key': 'abc:def' },
        },
        { path: '/actions/post-login', body: JSON.stringify(event) },
        { path: '/events', body: JSON.stringify(cloudEvent) },
      ]),
    );
  });

  it('does not post an Actions event whose Idempotency-Key only survives as a hash', async () => {
    const queue = new FakeQueue([
      message({
        reason: 'publish_rejected',
        log_id: `action:post-login:key-sha256:${'a'.repeat(64)}`,
        record: {},
      }),
    ]);
    const { ports: p, posted } = ports(queue, () => ok({ published: 1 }));

    const report = await redrive(p);

    expect(posted).toEqual([]);
    expect(report.results[0]).toMatchObject({ outcome: 'not_redrivable', deleted: false });
    expect(queue.hidden.size).toBe(0);
  });

  it('reads a record from S3 only in the quarantine’s bucket, and posts its text as stored', async () => {
    const queue = new FakeQueue([
      message({
        reason: 'publish_rejected',
        log_id: 'a',
        record_location: { bucket: BUCKET, key: 'quarantine/a.json' },
      }),
      message({
        reason: 'publish_rejected',
        log_id: 'b',
        record_location: { bucket: 'other', key: 'quarantine/b.json' },
      }),
      message({ reason: 'too_deep', record_location: { bucket: BUCKET, key: 'quarantine/c.json' } }),
    ]);
    const { ports: p, posted, stored } = ports(queue, () => ok({ quarantined: 1 }));
    stored.set(`${BUCKET}/quarantine/a.json`, '{"log_id":"a","n":12345678901234567890123}');
    stored.set(`${BUCKET}/quarantine/c.json`, JSON.stringify('[[[[[[deep text')); // kept as the text it was

    const report = await redrive(p);

    // (posted concurrently: in any order)
    expect(posted).toHaveLength(2);
    expect(posted).toEqual(
      expect.arrayContaining([
        { path: '/', body: '[{"log_id":"a","n":12345678901234567890123}]' },
        { path: '/', body: '[[[[[[deep text' },
      ]),
    );
    expect(report.results.map(({ outcome }) => outcome)).toEqual([
      'quarantined_again',
      'not_redrivable',
      'quarantined_again',
    ]);
  });

  it('says why a message that is not the ingest’s cannot be redriven, and leaves it', async () => {
    const queue = new FakeQueue(['not json', { no: 'reason' }]);
    const { ports: p, posted } = ports(queue, () => ok({ published: 1 }));

    const report = await redrive(p);

    expect(posted).toEqual([]);
    expect(report.results.map(({ outcome, detail }) => [outcome, detail])).toEqual([
      ['not_redrivable', 'the message is not JSON: it was not written by the ingest'],
      ['not_redrivable', 'the message has no "reason": it was not written by the ingest'],
    ]);
    expect(queue.deleted).toEqual([]);
  });
});

describe('the time a redrive may take', () => {
  it('posts nothing more once its budget is spent, and leaves those messages for the next run', async () => {
    const queue = new FakeQueue(
      Array.from({ length: 6 }, (_, i) => message({ reason: 'missing_type', log_id: `t${i}`, record: {} })),
    );
    const { ports: p, posted } = ports(queue, async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return ok({ quarantined: 1 });
    });

    const report = await redriveQuarantine(
      p,
      { claimCheckBucket: BUCKET },
      { limit: 50, dryRun: false, budgetMs: 10 },
    );

    // The first four started at once (concurrency 4); the others found the budget spent
    expect(posted).toHaveLength(4);
    expect(report.counts).toMatchObject({ quarantined_again: 4, deferred: 2 });
    expect(queue.deleted).toHaveLength(4);
    expect(queue.hidden.size).toBe(0);
  });
});

describe('reading the queue', () => {
  it('stops at --limit, and at 53 receives when the queue keeps answering the same messages', async () => {
    const queue = new FakeQueue(
      Array.from({ length: 3 }, (_, i) => message({ reason: 'missing_type', log_id: `x${i}`, record: {} })),
      true,
    );

    const listing = await listQuarantine({ queue }, { limit: 50 });

    expect(listing.messages).toHaveLength(3);
    expect(queue.receives).toBeLessThanOrEqual(53);
    expect(queue.hidden.size).toBe(0);
  });

  it('reads past other reasons to find --limit messages of the one asked for', async () => {
    const queue = new FakeQueue([
      ...Array.from({ length: 30 }, (_, i) =>
        message({ reason: 'missing_type', log_id: `m${i}`, record: {} }),
      ),
      message({ reason: 'publish_rejected', log_id: 'r', record: {} }),
    ]);

    const listing = await listQuarantine({ queue }, { limit: 1, reason: 'publish_rejected' });

    expect(listing.messages.map(({ log_id }) => log_id)).toEqual(['r']);
    expect(listing.read).toBe(31);
    expect(queue.hidden.size).toBe(0);
  });

  it('lists what a message says about its record, never the record', async () => {
    const queue = new FakeQueue([
      message({ reason: 'missing_type', log_id: 'a', record: { secret: 'hunter2-value' }, error_code: 'X' }),
    ]);

    const listing = await listQuarantine({ queue }, { limit: 10 });

    expect(listing.messages).toEqual([
      {
        message_id: 'm0',
        reason: 'missing_type',
        message: 'why',
        log_id: 'a',
        error_code: 'X',
        position: 0,
        request_id: 'r',
        received_at: '2026-11-22T10:00:00.000Z',
        surface: 'logs',
        stored: 'inline',
      },
    ]);
    expect(JSON.stringify(listing)).not.toContain('hunter2');
  });
});
