import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes as defaultRoutes } from '../../config/routes';
import { logicalIdOf, type Synthesized, synthesize } from './support';

const INGEST = [{ Name: 'service', Value: 'ingest' }];

describe('alarms', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  });

  it('has one alarm per ingest failure mode, the quarantine, each route DLQ, the modules API and the actions DLQ', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', 7 + defaultRoutes.length);
  });

  it.each([
    ['Test-ingest-errors', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum' }],
    ['Test-ingest-throttles', { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Statistic: 'Sum' }],
    ['Test-ingest-5xx', { Namespace: 'Auth0EventBridge', MetricName: 'ServerErrors', Dimensions: INGEST }],
    ['Test-publish-failures', { Namespace: 'Auth0EventBridge', MetricName: 'Failed', Dimensions: INGEST }],
    ['Test-quarantine-depth', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }],
    ['Test-modules-errors', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum' }],
    ['Test-actions-dlq', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }],
  ])('%s fires on the first occurrence and is quiet without data', (alarmName, metric) => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: alarmName,
      ...metric,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: Match.absent(),
    });
  });

  it('watches the ingest function and the quarantine queue, not some other resource', () => {
    const fn = logicalIdOf(synth.template, 'AWS::Lambda::Function', 'IngestFunction');
    const queue = logicalIdOf(synth.template, 'AWS::SQS::Queue', 'IngestQuarantineQueue');
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-ingest-errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-quarantine-depth',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
    });
  });

  it('notifies a new encrypted topic, on ALARM and on OK, when an email is given', () => {
    const { template } = synthesize({ alarmEmail: 'ops@example.com' });
    const topic = logicalIdOf(template, 'AWS::SNS::Topic', 'OperationsAlarmTopic');
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topic },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(7 + defaultRoutes.length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  it('notifies an existing topic given by ARN, creating none', () => {
    const arn = 'arn:aws:sns:eu-west-1:111111111111:ops';
    const { template } = synthesize({ alarmTopicArn: arn });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([arn]);
    }
  });
});

describe('dashboard', () => {
  let body: string;
  beforeAll(() => {
    const { template } = synthesize();
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
    body = JSON.stringify(dashboard?.Properties.DashboardBody);
  });

  it('graphs received, published, duplicates and quarantined per minute', () => {
    for (const metric of ['Received', 'Published', 'Duplicates', 'Quarantined']) {
      expect(body).toContain(
        `\\"Auth0EventBridge\\",\\"${metric}\\",\\"service\\",\\"ingest\\",{\\"label\\":\\"${metric.toLowerCase()}\\",\\"period\\":60,\\"stat\\":\\"Sum\\"}`,
      );
    }
  });

  it('graphs published per category with a SEARCH over the Category dimension', () => {
    expect(body).toContain(
      `SEARCH('{Auth0EventBridge,Category,service} MetricName=\\\\\\"PublishedByCategory\\\\\\" service=\\\\\\"ingest\\\\\\"', 'Sum', 60)`,
    );
  });

  it('graphs ingest latency at p50, p90 and p99', () => {
    for (const stat of ['p50', 'p90', 'p99']) {
      expect(body).toContain(
        `\\"IngestLatency\\",\\"service\\",\\"ingest\\",{\\"label\\":\\"${stat}\\",\\"period\\":60,\\"stat\\":\\"${stat}\\"}`,
      );
    }
  });

  it('shows every alarm', () => {
    expect(body.match(/OperationsDeadLetters/g)).toHaveLength(defaultRoutes.length);
    expect(body).toContain('\\"type\\":\\"alarm\\"');
  });
});
