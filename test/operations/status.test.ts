/**
 * `a0bridge status`: locally, from the count npm start keeps of its ingest's answers, through the real
 * management handler on moto; on AWS, from CloudWatch, with the CloudWatch adapter against moto's CloudWatch;
 * and a part that cannot be read says why in its place while the rest is still shown.
 */
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchStatus } from '../../lambdas/operations/adapters/cloudwatch-status';
import { IngestActivityCounter } from '../../lambdas/operations/adapters/in-process-status';
import { SqsQueueDepths } from '../../lambdas/operations/adapters/sqs-queues';
import { readStatus } from '../../lambdas/operations/status';
import { clientConfig } from '../../local/provision';
import { uniqueName } from '../support/aws';
import { type OperationsStack, startOperationsStack } from './support/stack';

let stack: OperationsStack;

beforeAll(async () => {
  stack = await startOperationsStack();
});

afterAll(async () => {
  await stack?.close();
});

const record = (logId: string, type?: string) => ({
  log_id: logId,
  data: { ...(type ? { type } : {}), date: '2026-11-22T10:00:00.000Z' },
});

describe('a0bridge status, locally', () => {
  it('shows the last delivery, the counts of the window, the queues, and that there are no alarms', async () => {
    // GIVEN one published record, the same again (a duplicate), one quarantined, and a wrong token (no records)
    await stack.post([record('900202611220000status1', 'f'), record('900202611220000status2')]);
    await stack.post([record('900202611220000status1', 'f')]);
    const unauthorized = await fetch(`${stack.url}/`, { method: 'POST', body: '[]' });
    expect(unauthorized.status).toBe(401);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.actionsDlqUrl, MessageBody: '{}' }));

    // WHEN the status is asked for
    const json = await stack.a0bridge(['status', '--json']);
    const text = await stack.a0bridge(['status']);

    // THEN the numbers are this process's count of the ingest's answers
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status).toMatchObject({
      mode: 'local',
      window_hours: 24,
      ingest: { received: 3, published: 1, duplicates: 1, quarantined: 1, failed: 0 },
      quarantine: { name: 'quarantine', visible: 1, in_flight: 0 },
      dead_letter_queues: [{ name: 'actions-dlq', visible: 1, in_flight: 0 }],
      alarms: { available: false, reason: 'local mode has no CloudWatch alarms' },
    });
    expect(Date.now() - Date.parse(status.ingest.last_delivery_at)).toBeLessThan(120_000);
    expect(status.ingest.source).toMatch(/^this npm start, since /);
    // AND on one screen for a person
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Auth0 Event Bridge, local (npm start)');
    expect(text.stdout).toMatch(/Records\s+3 received, 1 published, 1 duplicates, 1 quarantined, 0 failed/);
    expect(text.stdout).toMatch(/quarantine\s+1\s+0/);
    expect(text.stdout).toMatch(/actions-dlq\s+1\s+0/);
    expect(text.stdout).toContain('a0bridge quarantine list');
    expect(text.stdout).toContain('unavailable: local mode has no CloudWatch alarms');
  });

  it('counts only the window asked for', async () => {
    const status = JSON.parse((await stack.a0bridge(['status', '--window-hours', '1', '--json'])).stdout);
    expect(status.window_hours).toBe(1);
    const refused = await stack.a0bridge(['status', '--window-hours', '999']);
    expect(refused.stderr).toMatch(/Error 400.*window_hours must be a whole number from 1 to 336/);
  });
});

describe('the in-process count', () => {
  it('counts per minute, and leaves out minutes outside the window', () => {
    let now = new Date('2026-03-01T10:00:30Z');
    const counter = new IngestActivityCounter(() => now);
    counter.recordResponse(200, JSON.stringify({ received: 2, published: 2, duplicates: 0, quarantined: 0 }));
    now = new Date('2026-03-01T12:00:10Z');
    counter.recordResponse(
      503,
      JSON.stringify({ received: 3, published: 1, duplicates: 0, quarantined: 0, failed: 2 }),
    );
    counter.recordResponse(401, JSON.stringify({ message: 'Unauthorized' }));

    expect(counter.activity(new Date('2026-03-01T09:00:00Z'), now)).toEqual({
      lastDeliveryAt: new Date('2026-03-01T12:00:00Z'),
      received: 5,
      published: 3,
      duplicates: 0,
      quarantined: 0,
      failed: 2,
    });
    expect(counter.activity(new Date('2026-03-01T11:00:00Z'), now)).toMatchObject({ received: 3, failed: 2 });
  });
});

describe('CloudWatchStatus (a deployed stack), against moto', () => {
  it('sums the ingest metrics, finds the DLQs through their alarms, and lists the alarms in ALARM', async () => {
    // GIVEN the ingest's EMF metrics, a DLQ with its alarm (firing), and an alarm of another stack
    const config = clientConfig(stack.aws);
    const cloudWatch = new CloudWatchClient(config);
    const namespace = uniqueName('Auth0EventBridgeTest');
    const prefix = `${uniqueName('Stack')}-`;
    const now = new Date();
    const minuteAgo = new Date(now.getTime() - 60_000);
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          ['Received', 5, minuteAgo],
          ['Published', 4, minuteAgo],
          ['Duplicates', 1, minuteAgo],
          ['Quarantined', 0, minuteAgo],
          ['Received', 2, new Date(now.getTime() - 3 * 3600_000)],
        ].map(([name, value, at]) => ({
          MetricName: name as string,
          Value: value as number,
          Timestamp: at as Date,
          Unit: 'Count',
          Dimensions: [{ Name: 'service', Value: 'ingest' }],
        })),
      }),
    );
    const dlqName = uniqueName('dlq-route');
    const { QueueUrl: dlqUrl } = await stack.sqs.send(new CreateQueueCommand({ QueueName: dlqName }));
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{}' }));
    const queueAlarm = (name: string, queueName: string) =>
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: queueName }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    await cloudWatch.send(queueAlarm(`${prefix}dlq-failed-logins`, dlqName));
    await cloudWatch.send(queueAlarm(`${prefix}quarantine-depth`, 'the-quarantine'));
    await cloudWatch.send(queueAlarm(`${uniqueName('Other')}-dlq-x`, dlqName));
    // Another stack whose name starts with this one's: its alarms share the prefix
    await cloudWatch.send(queueAlarm(`${prefix}staging-dlq-x`, dlqName));
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: `${prefix}staging-dlq-x`,
        StateValue: 'ALARM',
        StateReason: 'theirs',
      }),
    );
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: `${prefix}dlq-failed-logins`,
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed: 1 datapoint [1.0] was >= 1.0',
      }),
    );
    const status = new CloudWatchStatus(cloudWatch, stack.sqs, {
      namespace,
      alarmNamePrefix: prefix,
      alarmNames: [`${prefix}dlq-failed-logins`, `${prefix}quarantine-depth`, `${prefix}ingest-errors`],
      quarantineQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/the-quarantine',
    });

    // WHEN the status is read as the management function reads it
    const result = await readStatus(
      { status, queues: new SqsQueueDepths(stack.sqs) },
      { quarantineQueueUrl: stack.resources.quarantineQueueUrl, windowHours: 24, now },
    );
    cloudWatch.destroy();

    // THEN
    expect(result.mode).toBe('aws');
    expect(result.ingest).toMatchObject({
      received: 7,
      published: 4,
      duplicates: 1,
      quarantined: 0,
      failed: 0,
    });
    expect(Date.parse((result.ingest as { last_delivery_at: string }).last_delivery_at)).toBeGreaterThan(
      now.getTime() - 3 * 60_000,
    );
    expect(result.dead_letter_queues).toEqual([{ name: 'dlq-failed-logins', visible: 1, in_flight: 0 }]);
    expect(result.alarms).toEqual({
      available: true,
      in_alarm: [
        {
          name: `${prefix}dlq-failed-logins`,
          reason: 'Threshold Crossed: 1 datapoint [1.0] was >= 1.0',
          since: expect.any(String),
        },
      ],
    });
  });

  it('shows each part it could read, and why the others could not be read', async () => {
    const failing = {
      mode: 'aws' as const,
      ingestActivity: () => Promise.reject(new Error('AccessDenied: cloudwatch:GetMetricData')),
      deadLetterQueues: async () => [{ name: 'dlq-x', url: 'https://sqs.example/gone' }],
      alarmsInAlarm: () => Promise.reject(new Error('Throttling')),
    };
    const queues = {
      depth: async (url: string) => {
        if (url.endsWith('gone')) throw new Error('AWS.SimpleQueueService.NonExistentQueue');
        return { visible: 2, inFlight: 0 };
      },
    };

    const result = await readStatus(
      { status: failing, queues },
      { quarantineQueueUrl: 'https://sqs.example/q', windowHours: 24, now: new Date() },
    );

    expect(result.ingest).toEqual({ error: 'Error: AccessDenied: cloudwatch:GetMetricData' });
    expect(result.quarantine).toEqual({ name: 'quarantine', visible: 2, in_flight: 0 });
    expect(result.dead_letter_queues).toEqual([
      { name: 'dlq-x', error: 'Error: AWS.SimpleQueueService.NonExistentQueue' },
    ]);
    expect(result.alarms).toEqual({ available: false, reason: 'could not be read: Error: Throttling' });
  });
});
