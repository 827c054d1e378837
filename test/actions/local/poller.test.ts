import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutionWriter } from '../../../lambdas/actions/ports';
import { ActionQueuePoller, MalformedActionMessageError, parseBusEvent } from '../../../local/actions/poller';
import { clientConfig, createQueue } from '../../../local/provision';
import { emulator, uniqueName } from '../../support/aws';
import { recordingLogger } from './support';

const sqs = new SQSClient(clientConfig(emulator()));
afterAll(() => sqs.destroy());

const unusedExecutions: ExecutionWriter = {
  claim: () => Promise.reject(new Error('not expected')),
  complete: () => Promise.reject(new Error('not expected')),
  release: () => Promise.reject(new Error('not expected')),
  put: () => Promise.reject(new Error('not expected')),
};

describe('ActionQueuePoller', () => {
  it('stops as soon as its signal aborts, in the middle of a long poll', async () => {
    // GIVEN a poller long-polling an empty queue for 5 seconds at a time
    const queueUrl = await createQueue(sqs, uniqueName('poller-empty'));
    const controller = new AbortController();
    const logger = recordingLogger();
    const poller = new ActionQueuePoller({
      actionId: 'a1',
      sqs,
      queueUrl,
      current: () => undefined,
      executions: unusedExecutions,
      logger,
      maxReceiveCount: 3,
      waitTimeSeconds: 5,
      signal: controller.signal,
    });
    poller.start();
    await new Promise((resolve) => setTimeout(resolve, 300));

    // WHEN the signal aborts
    const aborted = performance.now();
    controller.abort();
    await poller.done;

    // THEN the loop has returned well before its receive would have, and quietly
    expect(performance.now() - aborted).toBeLessThan(1000);
    expect(logger.problems).toEqual([]);
  });

  it('refuses a long-poll wait outside 1 to 5 seconds', () => {
    const options = {
      actionId: 'a1',
      sqs,
      queueUrl: 'http://unused',
      current: () => undefined,
      executions: unusedExecutions,
      logger: recordingLogger(),
      maxReceiveCount: 3,
    };
    expect(() => new ActionQueuePoller({ ...options, waitTimeSeconds: 0 })).toThrow(/from 1 to 5, got 0/);
    expect(() => new ActionQueuePoller({ ...options, waitTimeSeconds: 20 })).toThrow(/from 1 to 5, got 20/);
  });
});

describe('parseBusEvent', () => {
  it('reads the EventBridge event an SQS target receives', () => {
    const body = JSON.stringify({
      id: 'e1',
      source: 'auth0.logs',
      'detail-type': 'Auth0 log',
      time: '2026-01-01T00:00:00Z',
      detail: { log_id: 'l1' },
    });
    expect(parseBusEvent(body)).toMatchObject({ id: 'e1', detail: { log_id: 'l1' } });
  });

  it.each([
    ['not JSON', /not JSON \(8 characters\)/],
    ['[1]', /the body is an array, not an object/],
    ['{"source":"s","detail-type":"t","detail":{}}', /"id" is not a non-empty string/],
    ['{"id":"e","source":"s","detail-type":"t","detail":[]}', /"detail" is not an object/],
    ['{"id":"e","detail":{}}', /"source" is not a string; "detail-type" is not a string/],
  ])('refuses %s, saying what is wrong', (body, message) => {
    expect(() => parseBusEvent(body)).toThrow(MalformedActionMessageError);
    expect(() => parseBusEvent(body)).toThrow(message);
  });
});
