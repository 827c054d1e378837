import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeSink } from '../../../lambdas/ingest/adapters/eventbridge-sink';
import { entrySize } from '../../../lambdas/ingest/event';
import type { EventEntry } from '../../../lambdas/ingest/ports';
import { type Publishable, type PublishOptions, publishAll } from '../../../lambdas/ingest/publish';

const eventBridge = mockClient(EventBridgeClient);
const sink = new EventBridgeSink(new EventBridgeClient({ region: 'us-east-1' }));
const delays: number[] = [];
const options: PublishOptions = {
  limits: { maxEntries: 10, maxBytes: 256 * 1024 },
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2000,
  concurrency: 4,
  sleep: async (ms) => {
    delays.push(ms);
  },
  random: () => 0.5,
};

function item(key: string, detailBytes = 100): Publishable {
  const entry: EventEntry = {
    Source: 'auth0.logs',
    DetailType: 'Auth0 log',
    Detail: JSON.stringify({ log_id: key, pad: 'x'.repeat(Math.max(0, detailBytes - 25 - key.length)) }),
    EventBusName: 'bus',
  };
  return { key, entry, size: entrySize(entry) };
}

const keysOf = (entries: PutEventsRequestEntry[] | undefined) =>
  (entries ?? []).map((entry) => JSON.parse(entry.Detail ?? '{}').log_id as string);
const sentRequests = () =>
  eventBridge.commandCalls(PutEventsCommand).map((call) => keysOf(call.args[0].input.Entries));

describe('publishAll with the EventBridge sink', () => {
  beforeEach(() => {
    eventBridge.reset();
    delays.length = 0;
  });

  it('sends at most 10 entries per PutEvents request', async () => {
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const items = Array.from({ length: 23 }, (_, i) => item(`r${i}`));
    const report = await publishAll(items, sink, options);
    expect(sentRequests().map((keys) => keys.length)).toEqual([10, 10, 3]);
    expect(report.accepted).toHaveLength(23);
    expect(report.retries).toBe(0);
  });

  it('splits requests at the size limit, computed the way AWS computes entry size', async () => {
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: unknown[] }) => ({
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const big = Array.from({ length: 3 }, (_, i) => item(`big${i}`, 100_000));
    await publishAll(big, sink, options);
    expect(sentRequests().map((keys) => keys.length)).toEqual([2, 1]);
  });

  it('retries only the failed entries, alone, after a jittered backoff', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'c' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'Oops' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }, { EventId: 'd' }] });
    const report = await publishAll([item('a'), item('b'), item('c'), item('d')], sink, options);
    expect(sentRequests()).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b', 'd'],
    ]);
    expect(report.accepted.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(report.retries).toBe(2);
    expect(delays).toEqual([50]); // full jitter: random 0.5 × min(2000, 100 × 2^0)
  });

  it('reports non-retryable entries as rejected without sending them again', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }],
    });
    const report = await publishAll([item('a'), item('b')], sink, options);
    expect(report.rejected).toEqual([
      { key: 'b', errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' },
    ]);
    expect(report.failed).toEqual([]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('gives up after the last attempt and reports the entries as failed, not rejected', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const report = await publishAll([item('a')], sink, options);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(4);
    expect(report).toMatchObject({ accepted: [], rejected: [], retries: 3 });
    expect(report.failed).toEqual([
      { key: 'a', errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' },
    ]);
    expect(delays).toEqual([50, 100, 200]);
  });

  it('retries a request that failed as a whole with a throttling error', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(throttled)
      .resolves({ Entries: [{ EventId: '1' }, { EventId: '2' }] });
    const report = await publishAll([item('a'), item('b')], sink, options);
    expect(report.accepted).toEqual(['a', 'b']);
    expect(report.retries).toBe(2);
  });

  it('fails, without retrying, a request AWS refused as a whole with a 4xx', async () => {
    const denied = Object.assign(new Error('not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    eventBridge.on(PutEventsCommand).rejects(denied);
    const report = await publishAll([item('a')], sink, options);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(report.failed).toEqual([
      { key: 'a', errorCode: 'AccessDeniedException', errorMessage: 'not authorized' },
    ]);
    expect(report.rejected).toEqual([]);
  });

  it('treats a missing result for an entry as retryable', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ Entries: [{ EventId: '1' }] })
      .resolves({ Entries: [{ EventId: '2' }] });
    const report = await publishAll([item('a'), item('b')], sink, options);
    expect(sentRequests()).toEqual([['a', 'b'], ['b']]);
    expect(report.accepted).toEqual(['a', 'b']);
  });

  it('isolates the entry a whole-request ValidationException is about, and publishes its neighbours once', async () => {
    const refused = (name: string, status: number) =>
      new EventBridgeServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status } });
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: PutEventsRequestEntry[] }) => {
      if (keysOf(input.Entries).includes('r4')) throw refused('ValidationException', 400);
      return { Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })) };
    });
    const items = Array.from({ length: 10 }, (_, i) => item(`r${i}`));
    const report = await publishAll(items, sink, options);
    expect(report.accepted.sort()).toEqual(
      items
        .map((i) => i.key)
        .filter((k) => k !== 'r4')
        .sort(),
    );
    expect(report.rejected).toEqual([
      { key: 'r4', errorCode: 'ValidationException', errorMessage: expect.any(String) },
    ]);
    expect(report.failed).toEqual([]);
    // Nothing but the one at fault was ever sent in a request that succeeded twice.
    const accepted = sentRequests()
      .filter((keys) => !keys.includes('r4'))
      .flat();
    expect(accepted.sort()).toEqual(report.accepted.sort());
    expect(sentRequests().length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(10)) + 2);
  });

  it('does not split or quarantine on a refusal about the caller (AccessDenied): the batch waits for a retry', async () => {
    eventBridge.on(PutEventsCommand).rejects(
      new EventBridgeServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const report = await publishAll([item('a'), item('b')], sink, options);
    expect(report.rejected).toEqual([]);
    expect(report.failed.map((f) => f.key)).toEqual(['a', 'b']);
    expect(sentRequests()).toEqual([['a', 'b']]);
  });
});
