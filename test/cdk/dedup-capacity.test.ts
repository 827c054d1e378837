import { App, Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { Auth0EventBridgeStack, type Auth0EventBridgeStackProps } from '../../lib/auth0-event-bridge-stack';
import { settingsFromContext } from '../../lib/context';
import { InvalidPropsError } from '../../lib/validation';
import { CDK_JSON_CONTEXT, logicalIdOf, type Synthesized, synthesize, TEST_ENV, testApp } from './support';

const dedupTable = (template: Template) => {
  const id = logicalIdOf(template, 'AWS::DynamoDB::GlobalTable', 'IngestDedupTable');
  return template.toJSON().Resources[id] as { Properties: Record<string, unknown> };
};

const autoScaling = (min: number, max: number, seed: number, target: number) => ({
  MinCapacity: min,
  MaxCapacity: max,
  SeedCapacity: seed,
  TargetTrackingScalingPolicyConfiguration: { TargetValue: target },
});

describe('dedup table capacity', () => {
  let onDemand: Synthesized;
  let provisioned: Synthesized;
  beforeAll(() => {
    onDemand = synthesize();
    provisioned = synthesize({ dedupBilling: 'provisioned' }, 'Provisioned');
  });

  it('is on-demand by default, with no provisioned throughput anywhere', () => {
    // GIVEN the default stack  WHEN synthesized  THEN the table pays per request
    const table = dedupTable(onDemand.template);
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties).not.toHaveProperty('WriteProvisionedThroughputSettings');
    expect(JSON.stringify(table)).not.toContain('ProvisionedThroughput');
  });

  it('provisions with auto scaling on writes and reads at 70 %, 5 to 1000 write units, when asked', () => {
    provisioned.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'log_id', KeyType: 'HASH' }],
      BillingMode: 'PROVISIONED',
      WriteProvisionedThroughputSettings: { WriteCapacityAutoScalingSettings: autoScaling(5, 1000, 5, 70) },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          ReadProvisionedThroughputSettings: { ReadCapacityAutoScalingSettings: autoScaling(1, 1000, 1, 70) },
        }),
      ],
    });
  });

  it('keeps the table’s logical id, so switching billing updates the table instead of replacing it', () => {
    expect(logicalIdOf(provisioned.template, 'AWS::DynamoDB::GlobalTable', 'IngestDedupTable')).toBe(
      logicalIdOf(onDemand.template, 'AWS::DynamoDB::GlobalTable', 'IngestDedupTable'),
    );
  });

  it('takes the minimum, maximum and target it is given, for writes and reads alike', () => {
    // GIVEN custom capacity settings
    const { template } = synthesize({
      dedupBilling: 'provisioned',
      dedupMinWriteCapacity: 20,
      dedupMaxWriteCapacity: 400,
      dedupTargetUtilization: 50,
    });
    // THEN writes scale between them from a seed at the minimum, reads from 1 to the same maximum
    const table = dedupTable(template);
    expect(table.Properties.WriteProvisionedThroughputSettings).toEqual({
      WriteCapacityAutoScalingSettings: autoScaling(20, 400, 20, 50),
    });
    expect(table.Properties.Replicas).toEqual([
      expect.objectContaining({
        ReadProvisionedThroughputSettings: { ReadCapacityAutoScalingSettings: autoScaling(1, 400, 1, 50) },
      }),
    ]);
  });

  it('passes synth as bin/app.ts runs it when provisioned: cdk-nag and CloudFormation schema validation', () => {
    // GIVEN the extremes of every setting, with both checks as bin/app.ts adds them
    const app = testApp({ cfnValidation: true });
    const stack = new Auth0EventBridgeStack(app, 'NagProvisioned', {
      env: TEST_ENV,
      dedupBilling: 'provisioned',
      dedupMinWriteCapacity: 1,
      dedupMaxWriteCapacity: 40_000,
      dedupTargetUtilization: 90,
    });
    // THEN cdk-nag finds nothing, and synth (which throws on any finding or schema error) succeeds
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it.each<[Partial<Auth0EventBridgeStackProps>, string]>([
    [
      { dedupBilling: 'provisoned' as 'provisioned' },
      'Ingest Test/Ingest: dedupBilling must be "on-demand" or "provisioned", got "provisoned"',
    ],
    [
      { dedupBilling: 'provisioned', dedupMinWriteCapacity: 50, dedupMaxWriteCapacity: 10 },
      'dedupMinWriteCapacity (50) must not exceed dedupMaxWriteCapacity (10)',
    ],
    [
      { dedupBilling: 'provisioned', dedupMinWriteCapacity: 2000 },
      'dedupMinWriteCapacity (2000) must not exceed dedupMaxWriteCapacity (1000, the default)',
    ],
    [
      { dedupBilling: 'provisioned', dedupMaxWriteCapacity: 3 },
      'dedupMinWriteCapacity (5, the default) must not exceed dedupMaxWriteCapacity (3)',
    ],
    [
      { dedupBilling: 'provisioned', dedupTargetUtilization: 95 },
      'dedupTargetUtilization must be a whole number from 20 to 90 (percent), got 95',
    ],
    [
      { dedupBilling: 'provisioned', dedupTargetUtilization: 10 },
      'dedupTargetUtilization must be a whole number from 20 to 90 (percent), got 10',
    ],
    [
      { dedupBilling: 'provisioned', dedupTargetUtilization: 70.5 },
      'dedupTargetUtilization must be a whole number from 20 to 90 (percent), got 70.5',
    ],
    [
      { dedupBilling: 'provisioned', dedupMinWriteCapacity: 2.5 },
      'dedupMinWriteCapacity must be a whole number from 1 to 40000',
    ],
    [
      { dedupBilling: 'provisioned', dedupMinWriteCapacity: 0 },
      "dedupMinWriteCapacity must be a whole number from 1 to 40000 (DynamoDB's default quota per table is 40000), got 0",
    ],
    [
      { dedupBilling: 'provisioned', dedupMaxWriteCapacity: 50_000 },
      "dedupMaxWriteCapacity must be a whole number from 1 to 40000 (DynamoDB's default quota per table is 40000), got 50000",
    ],
    [
      { dedupMinWriteCapacity: 10 },
      'dedupMinWriteCapacity (10) only applies with dedupBilling "provisioned", got dedupBilling "on-demand" (the default)',
    ],
    [
      { dedupBilling: 'on-demand', dedupMaxWriteCapacity: 100, dedupTargetUtilization: 80 },
      'dedupMaxWriteCapacity (100), dedupTargetUtilization (80) only apply with dedupBilling "provisioned", got dedupBilling "on-demand"',
    ],
  ])('rejects %j with a message naming the setting and the value', (props, message) => {
    const attempt = () => synthesize(props);
    expect(attempt).toThrow(InvalidPropsError);
    expect(attempt).toThrow(message);
  });

  describe('from the app context', () => {
    const settings = (context: Record<string, unknown>) =>
      settingsFromContext(new App({ context: { ...CDK_JSON_CONTEXT, ...context } }).node);

    it('maps -c strings to the capacity props, which the stack deploys', () => {
      // GIVEN -c dedupBilling=provisioned -c dedupMinWriteCapacity=10 -c dedupMaxWriteCapacity=200 -c …=60
      const { props } = settings({
        dedupBilling: 'provisioned',
        dedupMinWriteCapacity: '10',
        dedupMaxWriteCapacity: '200',
        dedupTargetUtilization: '60',
      });
      expect(props).toMatchObject({
        dedupBilling: 'provisioned',
        dedupMinWriteCapacity: 10,
        dedupMaxWriteCapacity: 200,
        dedupTargetUtilization: 60,
      });
      // WHEN the stack is built from them  THEN the table is provisioned with them
      const table = dedupTable(synthesize(props).template);
      expect(table.Properties.WriteProvisionedThroughputSettings).toEqual({
        WriteCapacityAutoScalingSettings: autoScaling(10, 200, 10, 60),
      });
    });

    it.each([
      [
        { dedupTargetUtilization: '70.5' },
        'Context "dedupTargetUtilization" must be a whole number, got "70.5"',
      ],
      [
        { dedupMinWriteCapacity: 'five' },
        'Context "dedupMinWriteCapacity" must be a whole number, got "five"',
      ],
      [{ dedupBiling: 'provisioned' }, 'Unknown context key "dedupBiling"; did you mean "dedupBilling"?'],
    ])('rejects %j before any stack is built', (context, message) => {
      expect(() => settings(context)).toThrow(message);
    });
  });
});
