import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type IngestTuning, ingestEnvironment } from '../lambdas/ingest/config';
import { eventPatternFor, isEnabled, type RouteDefinition, validateRoutes } from '../lib/routes/route-model';

export interface AwsTarget {
  readonly endpoint: string;
  readonly region: string;
}

export interface LocalNames {
  readonly busName: string;
  readonly source: string;
  readonly dedupTableName: string;
  readonly tokenSecretName: string;
  readonly quarantineQueueName: string;
  readonly claimCheckBucket: string;
}

export interface RouteQueue {
  readonly routeId: string;
  readonly ruleName: string;
  readonly queueUrl: string;
}

export interface LocalResources {
  readonly tokenSecretId: string;
  readonly quarantineQueueUrl: string;
  readonly routeQueues: readonly RouteQueue[];
}

/** The ingest's environment for what `provisionLocal` made, as the stack sets it on AWS. */
export function localIngestEnvironment(
  names: LocalNames,
  resources: LocalResources,
  tuning: IngestTuning = {},
): Record<string, string> {
  return ingestEnvironment(
    {
      busName: names.busName,
      tokenSecretId: resources.tokenSecretId,
      dedupTableName: names.dedupTableName,
      quarantineQueueUrl: resources.quarantineQueueUrl,
      claimCheckBucket: names.claimCheckBucket,
    },
    { eventSource: names.source, ...tuning },
  );
}

export function defaultLocalNames(busName: string, source = 'auth0.logs'): LocalNames {
  return {
    busName,
    source,
    dedupTableName: `${busName}-dedup`,
    tokenSecretName: `${busName}/ingest-token`,
    quarantineQueueName: `${busName}-quarantine`,
    claimCheckBucket: `${busName}-claim-check`,
  };
}

/**
 * Creates a table with string keys (a partition key, and a sort key when two names are given), on-demand
 * billing and, optionally, TTL; an existing table is kept. The local twin of what CDK declares.
 */
export async function createTable(
  dynamoDb: DynamoDBClient,
  tableName: string,
  options: { readonly keys: readonly [string] | readonly [string, string]; readonly ttlAttribute?: string },
): Promise<void> {
  const [partition, sort] = options.keys;
  await ignore(
    dynamoDb.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [
          { AttributeName: partition, KeyType: 'HASH' },
          ...(sort ? [{ AttributeName: sort, KeyType: 'RANGE' as const }] : []),
        ],
        AttributeDefinitions: options.keys.map((name) => ({
          AttributeName: name,
          AttributeType: 'S' as const,
        })),
        BillingMode: 'PAY_PER_REQUEST',
      }),
    ),
    ResourceInUseException,
  );
  if (!options.ttlAttribute) return;
  await dynamoDb
    .send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: options.ttlAttribute, Enabled: true },
      }),
    )
    .catch(() => undefined); // already enabled
}

/** Client settings for an emulator: its endpoint, dummy credentials, path-style S3. */
export function clientConfig(aws: AwsTarget) {
  return {
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/**
 * Creates what the ingest path needs on an emulator: the bus, the dedup table (with TTL), the token secret,
 * the quarantine queue, the claim-check bucket, and one rule per route with a local SQS queue as its target
 * (the live view reads those queues). Anything that already exists is reused; the token is always set.
 */
export async function provisionLocal(
  aws: AwsTarget,
  names: LocalNames,
  routes: readonly RouteDefinition[],
  token: string,
): Promise<LocalResources> {
  validateRoutes(routes);
  const config = clientConfig(aws);
  const eventBridge = new EventBridgeClient(config);
  const dynamoDb = new DynamoDBClient(config);
  const secrets = new SecretsManagerClient(config);
  const sqs = new SQSClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  try {
    await ignore(
      eventBridge.send(new CreateEventBusCommand({ Name: names.busName })),
      ResourceAlreadyExistsException,
    );
    await createTable(dynamoDb, names.dedupTableName, { keys: ['log_id'], ttlAttribute: 'expires_at' });
    const tokenSecretId = await putSecret(secrets, names.tokenSecretName, JSON.stringify({ token }));
    const quarantineQueueUrl = await createQueue(sqs, names.quarantineQueueName);
    await ignore(
      s3.send(new CreateBucketCommand({ Bucket: names.claimCheckBucket })),
      BucketAlreadyOwnedByYou,
    );

    const routeQueues: RouteQueue[] = [];
    for (const route of routes.filter(isEnabled)) {
      const ruleName = `${names.busName}-${route.id}`.slice(0, 64);
      const queueUrl = await createQueue(sqs, `${names.busName}-route-${route.id}`.slice(0, 80));
      const queueArn = await queueArnOf(sqs, queueUrl);
      await eventBridge.send(
        new PutRuleCommand({
          Name: ruleName,
          EventBusName: names.busName,
          Description: route.description.slice(0, 512),
          EventPattern: JSON.stringify(eventPatternFor(route, names.source)),
          State: 'ENABLED',
        }),
      );
      await eventBridge.send(
        new PutTargetsCommand({
          Rule: ruleName,
          EventBusName: names.busName,
          Targets: [{ Id: 'local-view', Arn: queueArn }],
        }),
      );
      routeQueues.push({ routeId: route.id, ruleName, queueUrl });
    }
    return { tokenSecretId, quarantineQueueUrl, routeQueues };
  } finally {
    for (const client of [eventBridge, dynamoDb, secrets, sqs, s3]) client.destroy();
  }
}

async function putSecret(client: SecretsManagerClient, name: string, value: string): Promise<string> {
  try {
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    return created.ARN ?? name;
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    const updated = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return updated.ARN ?? name;
  }
}

export async function createQueue(client: SQSClient, name: string): Promise<string> {
  const output = await client.send(new CreateQueueCommand({ QueueName: name }));
  if (!output.QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return output.QueueUrl;
}

export async function queueArnOf(client: SQSClient, queueUrl: string): Promise<string> {
  const output = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = output.Attributes?.QueueArn;
  if (!arn) throw new Error(`No QueueArn for ${queueUrl}`);
  return arn;
}

async function ignore<T>(
  promise: Promise<T>,
  // biome-ignore lint/suspicious/noExplicitAny: SDK exception constructors take one options object of their own type
  exception: new (...args: any[]) => Error,
): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof exception) return undefined;
    throw error;
  }
}
