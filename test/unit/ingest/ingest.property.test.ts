/**
 * Property: whatever a sender posts, the answer is one a retry can act on (2xx, 400, 401, 413 or 415; never a
 * 503 that no retry can fix), and every valid record of a mixed batch reaches the bus exactly once. The ports
 * are the in-memory fakes, made as strict as the AWS services behind them: DynamoDB refuses keys over 2048
 * bytes or that are not Unicode, PutEvents refuses a whole request over an event time or JSON it cannot take,
 * and SQS refuses messages that are not XML character data (through the real SqsQuarantine adapter).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ClaimCheckStore } from '../../../lambdas/ingest/adapters/s3-claim-check';
import { SqsQuarantine } from '../../../lambdas/ingest/adapters/sqs-quarantine';
import { type IngestSettings, ingest } from '../../../lambdas/ingest/ingest';
import type { ClaimState, EventEntry, PutOutcome } from '../../../lambdas/ingest/ports';
import { fakePorts, InMemoryDedup, RecordingSink } from '../../support/ingest-fakes';

const TOKEN = 'property-token';
const settings: IngestSettings = {
  busName: 'bus',
  source: 'auth0.logs',
  maxBodyBytes: 512 * 1024,
  maxPutEventsBytes: 256 * 1024,
  publishMaxAttempts: 3,
  publishBaseDelayMs: 1,
  publishMaxDelayMs: 2,
  concurrency: 4,
};
const ANSWERS_A_RETRY_CAN_ACT_ON = [200, 400, 401, 413, 415];

class ValidationException extends Error {
  public readonly $metadata = { httpStatusCode: 400 };
  public constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

/** DynamoDB's key rules. */
class StrictDedup extends InMemoryDedup {
  protected override claimOne(logId: string, leaseId: string): ClaimState | Error {
    if (Buffer.byteLength(logId) > 2048 || !logId.isWellFormed()) {
      return new ValidationException('One or more parameter values were invalid: key');
    }
    return super.claimOne(logId, leaseId);
  }
}

/** PutEvents' rules: a Time before 1970 fails the request; JSON too deep or past 64-bit integers fails the entry. */
class StrictSink extends RecordingSink {
  public override async putEvents(entries: readonly EventEntry[]): Promise<PutOutcome[]> {
    if (entries.some((entry) => entry.Time && entry.Time.getTime() < 0)) {
      throw new ValidationException('Time is out of range');
    }
    const outcomes = await super.putEvents(entries.filter(acceptable));
    return entries.map((entry) =>
      acceptable(entry)
        ? (outcomes.shift() as PutOutcome)
        : { ok: false, errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' },
    );
  }
}

function acceptable(entry: EventEntry): boolean {
  let fits = true;
  const parse = JSON.parse as (
    text: string,
    reviver: (k: string, v: unknown, c: { source?: string }) => unknown,
  ) => unknown;
  parse(entry.Detail, (_key, value, context) => {
    if (typeof value === 'number' && context.source && !/[.eE]/.test(context.source)) {
      const integer = BigInt(context.source);
      if (integer > 2n ** 63n - 1n || integer < -(2n ** 63n)) fits = false;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) fits = false;
    return value;
  });
  return fits;
}

const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);
const XML_CHARACTERS = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
let stored: string[];

function strictPorts() {
  const ports = fakePorts([TOKEN]);
  return {
    ...ports,
    dedup: new StrictDedup(ports.steps),
    sink: new StrictSink(ports.steps),
    quarantine: new SqsQuarantine(
      new SQSClient({ region: 'us-east-1' }),
      new S3ClaimCheckStore(new S3Client({ region: 'us-east-1' }), 'b'),
      {
        queueUrl: 'https://queue',
        maxMessageBytes: 256 * 1024,
      },
    ),
  };
}

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
  stored = [];
  s3Mock.onAnyCommand().resolves({});
  sqsMock
    .on(SendMessageBatchCommand)
    .callsFake(async (input: { Entries: SendMessageBatchRequestEntry[] }) => {
      const failed = input.Entries.filter((entry) => !XML_CHARACTERS.test(entry.MessageBody ?? ''));
      for (const entry of input.Entries) if (!failed.includes(entry)) stored.push(entry.MessageBody ?? '');
      return {
        Successful: [],
        Failed: failed.map(({ Id }) => ({ Id, SenderFault: true, Code: 'InvalidMessageContents' })),
      };
    });
});

/** The text of one element of a batch: valid records, and records that once broke a batch. */
const validRecord = (index: number) =>
  fc
    .record({
      suffix: fc.string({ unit: 'grapheme', maxLength: 12 }),
      type: fc.constantFrom('f', 's', 'fp', 'sapi', 'limit_wc', 'an_unknown_code'),
      date: fc.oneof(fc.constant('2026-11-22T10:00:00Z'), fc.constant('0000-01-01T00:00:00Z'), fc.string()),
      // Integers past 64 bits are not valid records: EventBridge refuses them (they are in badElement).
      extra: fc.jsonValue({ maxDepth: 4 }).filter((value) => !/\d{19}/.test(JSON.stringify(value))),
    })
    .map(({ suffix, type, date, extra }) => {
      const logId = `ok-${index}-${suffix}`;
      return { logId, text: JSON.stringify({ log_id: logId, data: { type, date, extra } }) };
    });

const badElement = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  fc.constant('{"log_id":"bad-no-type","data":{"date":"2026-11-22T10:00:00Z"}}'),
  fc.constant('{"data":{"type":"f"}}'),
  fc.constant(`{"log_id":"bad-cjk-${'日'.repeat(700)}","data":{"type":"f"}}`),
  fc.constant('{"log_id":"bad-\\ud800","data":{"type":"f"}}'),
  fc.constant('{"log_id":"bad-inf","data":{"type":"f","n":1e999}}'),
  fc.constant('{"log_id":"bad-big","data":{"type":"f","n":123456789012345678901234567890}}'),
  fc.constant('{"log_id":"bad-odd","data":{"type":"f","s":"\uffff\ufffe"}}'),
  fc
    .integer({ min: 101, max: 3000 })
    .map(
      (depth) =>
        `{"log_id":"bad-deep-${depth}","data":{"type":"f","d":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    ),
);

const mixedBatch = fc
  .array(fc.oneof(fc.constant(true), fc.constant(false)), { minLength: 1, maxLength: 25 })
  .chain((kinds) =>
    fc.tuple(
      ...kinds.map((valid, index) =>
        valid ? validRecord(index) : badElement.map((text) => ({ logId: undefined, text })),
      ),
    ),
  );

describe('ingest, for any body', () => {
  it('answers 2xx, 400, 401, 413 or 415 to arbitrary bytes, and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          fc.string({ unit: 'binary', maxLength: 2000 }).map((s) => Buffer.from(s)),
        ),
        fc.boolean(),
        async (bytes, authorized) => {
          const { response } = await ingest(
            {
              method: 'POST',
              headers: authorized ? { authorization: `Bearer ${TOKEN}` } : {},
              body: Buffer.from(bytes).toString('base64'),
              isBase64Encoded: true,
            },
            strictPorts(),
            settings,
          );
          expect(ANSWERS_A_RETRY_CAN_ACT_ON).toContain(response.statusCode);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('publishes every valid record of a mixed batch exactly once and stores every other one, as an array or JSON lines', async () => {
    await fc.assert(
      fc.asyncProperty(mixedBatch, fc.boolean(), async (elements, asLines) => {
        const ports = strictPorts();
        stored = [];
        const valid = elements.flatMap(({ logId }) => (logId ? [logId] : []));
        // JSON lines need an object on the first line to be read as such.
        const texts = asLines
          ? [JSON.stringify({ log_id: 'first', data: { type: 's' } }), ...elements.map((e) => e.text)]
          : elements.map((e) => e.text);
        const body = asLines ? texts.join('\n') : `[${texts.join(',')}]`;
        const request = { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body };
        const { response } = await ingest(request, ports, settings);

        expect(response.statusCode).toBe(200);
        const published = ports.sink.accepted.map((entry) => JSON.parse(entry.Detail).log_id as string);
        expect(published.filter((id) => id.startsWith('ok-')).sort()).toEqual([...valid].sort());
        const counts = JSON.parse(response.body);
        expect(counts.published + counts.duplicates + counts.quarantined).toBe(texts.length);
        expect(stored).toHaveLength(counts.quarantined);

        // Auth0 delivers the same batch again: nothing more reaches the bus.
        const again = await ingest(request, ports, settings);
        expect(again.response.statusCode).toBe(200);
        expect(ports.sink.accepted).toHaveLength(published.length);
      }),
      { numRuns: 150 },
    );
  });
});
