/**
 * Goal 5 of issue 9: what the ingest costs on AWS per million records, divided by the floor any publisher pays
 * (PutEvents alone, $1 per million entries of up to 64 KB).
 *
 * The request counts are measured, not assumed: the ingest core runs with its real adapters (DynamoDB dedup,
 * EventBridge, SQS quarantine, S3 claim-check) on moto, and a middleware on each SDK client reads every
 * request as it leaves and counts what AWS bills for it: PutEvents entries in 64 KB chunks, DynamoDB write
 * and read units from the items' sizes (DynamoDB's rules: 1 KB per write unit, 4 KB per strongly consistent
 * read unit, two write units per item in a transaction), SQS requests in 64 KB chunks, S3 PUTs and bytes.
 * Lambda is modelled (see LAMBDA_*): the function's configured memory, one invocation per delivery, and a
 * duration made of the core's CPU time measured here plus the AWS round trips of each phase.
 *
 * The stream: deliveries of 100 Auth0 log records; 1 record in 1,000 too large for an event (claim-checked),
 * 1 in 1,000 unusable (quarantined), and 1 delivery in 100 delivered again whole (a retry, all duplicates).
 *
 *   npx tsx bench/cost.ts
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbDedupStore } from '../lambdas/ingest/adapters/dynamodb-dedup';
import { EventBridgeSink } from '../lambdas/ingest/adapters/eventbridge-sink';
import { S3ClaimCheckStore } from '../lambdas/ingest/adapters/s3-claim-check';
import { SqsQuarantine } from '../lambdas/ingest/adapters/sqs-quarantine';
import { DEFAULT_INGEST_SETTINGS } from '../lambdas/ingest/config';
import { type IngestSettings, ingest } from '../lambdas/ingest/ingest';
import type { IngestPorts } from '../lambdas/ingest/ports';
import {
  DEDUP_MIN_READ_CAPACITY,
  DEFAULT_DEDUP_MIN_WRITE_CAPACITY,
  DEFAULT_DEDUP_TARGET_UTILIZATION,
} from '../lib/dedup-capacity';
import { startMoto } from '../local/moto';
import { clientConfig, defaultLocalNames, provisionLocal } from '../local/provision';
import { startSerializingProxy } from '../local/serializing-proxy';
import { fakePorts } from '../test/support/ingest-fakes';
import { atMost, type BenchPart, type Figure } from './report';

/**
 * List prices, us-east-1, taken on 2026-12-03 (free tiers left out):
 * - EventBridge: custom events $1.00 per million, each 64 KB chunk of an entry one event
 *   (https://aws.amazon.com/eventbridge/pricing/).
 * - DynamoDB on-demand, Standard table class, since the cut of 2024-11-01: $0.625 per million write request
 *   units, $0.125 per million read request units (https://aws.amazon.com/dynamodb/pricing/on-demand/).
 * - DynamoDB provisioned: $0.00065 per WCU-hour, $0.00013 per RCU-hour ($0.47 and $0.09 a month);
 *   storage $0.25 per GB-month (https://aws.amazon.com/dynamodb/pricing/provisioned/).
 * - Lambda on Arm (Graviton2): $0.0000133334 per GB-second, $0.20 per million requests
 *   (https://aws.amazon.com/lambda/pricing/).
 * - SQS standard queue: $0.40 per million requests, each 64 KB chunk of a payload one request
 *   (https://aws.amazon.com/sqs/pricing/).
 * - S3 Standard: $0.005 per 1,000 PUT requests, $0.023 per GB-month (https://aws.amazon.com/s3/pricing/).
 */
export const PRICES_TAKEN_ON = '2026-12-03';
export const EVENTBRIDGE_PER_MILLION_EVENTS = 1.0;
export const DYNAMODB_ON_DEMAND_PER_MILLION_WRU = 0.625;
export const DYNAMODB_ON_DEMAND_PER_MILLION_RRU = 0.125;
export const DYNAMODB_WCU_HOUR = 0.00065;
export const DYNAMODB_RCU_HOUR = 0.00013;
export const DYNAMODB_STORAGE_GB_MONTH = 0.25;
export const LAMBDA_ARM_GB_SECOND = 0.0000133334;
export const LAMBDA_PER_MILLION_REQUESTS = 0.2;
export const SQS_PER_MILLION_REQUESTS = 0.4;
export const S3_PER_THOUSAND_PUTS = 0.005;
export const S3_STORAGE_GB_MONTH = 0.023;

/**
 * The provisioned row is the stack deployed with `-c dedupBilling=provisioned` and the other settings at their
 * defaults (lib/dedup-capacity.ts): auto scaling keeps reads and writes at 70 % of what is paid for, between a
 * minimum of 5 write units (1 read unit) and a maximum. Above the minimum, the bill follows the traffic at
 * that utilisation; below it, the minimum is paid for (see breakEvenRecordsPerSecond). Target tracking reacts
 * in minutes, so a spiky stream averages below its target and costs somewhat more than this row.
 */
export const PROVISIONED_UTILISATION = DEFAULT_DEDUP_TARGET_UTILIZATION / 100;
export const PROVISIONED_MIN_WCU = DEFAULT_DEDUP_MIN_WRITE_CAPACITY;
export const PROVISIONED_MIN_RCU = DEDUP_MIN_READ_CAPACITY;
/** The ingest function as lib/ingest.ts deploys it (memorySize 512, arm64). */
export const LAMBDA_MEMORY_GB = 0.5;
/**
 * AWS round trips, p50, within a region: a DynamoDB request of up to 25 items, and a PutEvents request. They
 * only feed the Lambda duration, which is about 1 % of the total; doubling them changes the ratio by 0.01.
 */
export const LAMBDA_DYNAMODB_ROUND_TRIP_MS = 8;
export const LAMBDA_PUT_EVENTS_ROUND_TRIP_MS = 30;
/** How long the records are kept: the dedup window (DEDUP_TTL_DAYS) and the claim-check bucket's lifetime. */
const DEDUP_DAYS = 7;
const CLAIM_CHECK_DAYS = 90;
const DAYS_PER_MONTH = 30.4;
/** DynamoDB's per-item storage overhead. */
const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;

const RECORDS_PER_DELIVERY = 100;
const DELIVERIES = Number(process.env.BENCH_COST_DELIVERIES ?? 100);
const CLAIM_CHECK_EVERY = 1000;
const QUARANTINE_EVERY = 1000;
const REDELIVER_EVERY = 100;
const TOKEN = 'cost-token';

/** What AWS bills for, as counted from the requests sent. */
export interface Usage {
  putEventsEntries: number;
  putEventsChunks: number;
  putEventsRequests: number;
  dynamoDbRequests: number;
  writeUnits: number;
  readUnits: number;
  sqsRequests: number;
  s3Puts: number;
  s3Bytes: number;
  /** Bytes of dedup items written (claims, outcome records, marks), for storage. */
  dynamoDbItemBytes: number;
  dynamoDbItems: number;
}

const emptyUsage = (): Usage => ({
  putEventsEntries: 0,
  putEventsChunks: 0,
  putEventsRequests: 0,
  dynamoDbRequests: 0,
  writeUnits: 0,
  readUnits: 0,
  sqsRequests: 0,
  s3Puts: 0,
  s3Bytes: 0,
  dynamoDbItemBytes: 0,
  dynamoDbItems: 0,
});

type AttributeValue = {
  S?: string;
  N?: string;
  B?: string;
  SS?: string[];
  NS?: string[];
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, AttributeValue>;
  L?: AttributeValue[];
};

/** An attribute value's size by DynamoDB's rules (strings in UTF-8 bytes, numbers about one byte per 2 digits). */
function valueBytes(value: AttributeValue | undefined): number {
  if (!value) return 0;
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').length / 2) + 1;
  if (value.B !== undefined) return Math.ceil((value.B.length * 3) / 4);
  if (value.SS) return value.SS.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  if (value.NS) return value.NS.reduce((sum, number) => sum + Math.ceil(number.length / 2) + 1, 0);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  if (value.L) return 3 + value.L.reduce((sum, each) => sum + valueBytes(each) + 1, 0);
  return 0;
}

function itemBytes(item: Record<string, AttributeValue> | undefined): number {
  return Object.entries(item ?? {}).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + valueBytes(value),
    0,
  );
}

const writeUnitsOf = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnitsOf = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
const chunksOf = (bytes: number) => Math.max(1, Math.ceil(bytes / (64 * 1024)));

/** Counts what one DynamoDB request is billed, from its JSON body. */
function countDynamoDb(
  usage: Usage,
  operation: string,
  input: Record<string, unknown>,
  sizes: Map<string, number>,
): void {
  usage.dynamoDbRequests++;
  const write = (item: Record<string, AttributeValue>, transactional = false) => {
    const bytes = itemBytes(item);
    usage.writeUnits += writeUnitsOf(bytes) * (transactional ? 2 : 1);
    usage.dynamoDbItemBytes += bytes;
    usage.dynamoDbItems++;
  };
  switch (operation) {
    case 'PutItem':
      write(input.Item as Record<string, AttributeValue>);
      sizes.set(
        JSON.stringify(input.Item && (input.Item as Record<string, AttributeValue>).log_id),
        itemBytes(input.Item as Record<string, AttributeValue>),
      );
      return;
    case 'UpdateItem': {
      // An update is billed on the larger of the item before and after: before, plus what it adds.
      const key = JSON.stringify((input.Key as Record<string, AttributeValue>)?.log_id);
      const added = Object.values(
        (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>,
      ).reduce((sum, value) => sum + valueBytes(value), 0);
      const bytes = (sizes.get(key) ?? itemBytes(input.Key as Record<string, AttributeValue>)) + added;
      sizes.set(key, bytes);
      usage.writeUnits += writeUnitsOf(bytes);
      return;
    }
    case 'DeleteItem':
      usage.writeUnits += 1;
      return;
    case 'BatchWriteItem':
      for (const requests of Object.values(
        (input.RequestItems ?? {}) as Record<
          string,
          Array<{ PutRequest?: { Item: Record<string, AttributeValue> } }>
        >,
      )) {
        for (const request of requests) {
          if (request.PutRequest) write(request.PutRequest.Item);
          else usage.writeUnits += 1;
        }
      }
      return;
    case 'BatchExecuteStatement':
      for (const statement of (input.Statements ?? []) as Array<{
        Statement: string;
        Parameters?: AttributeValue[];
      }>) {
        const names = [...statement.Statement.matchAll(/'([^']+)'\s*:\s*\?/g)].map(
          (match) => match[1] as string,
        );
        // A statement that fails (the item exists) is billed too.
        write(Object.fromEntries(names.map((name, i) => [name, statement.Parameters?.[i] ?? {}])));
      }
      return;
    case 'TransactWriteItems':
      for (const item of (input.TransactItems ?? []) as Array<{
        Put?: { Item: Record<string, AttributeValue> };
      }>) {
        if (item.Put) write(item.Put.Item, true);
        else usage.writeUnits += 2;
      }
      return;
    case 'GetItem':
      usage.readUnits += readUnitsOf(1024, input.ConsistentRead === true);
      return;
    case 'BatchGetItem':
      for (const request of Object.values(
        (input.RequestItems ?? {}) as Record<string, { Keys: unknown[]; ConsistentRead?: boolean }>,
      )) {
        // Dedup items are far below 4 KB; an outcome record of 100 Auth0 log_ids is about 6 KB.
        usage.readUnits += request.Keys.length * readUnitsOf(1024, request.ConsistentRead === true);
      }
      return;
  }
}

/** Counts what one request of any client is billed. */
function counter(usage: Usage) {
  const sizes = new Map<string, number>();
  return (service: 'dynamodb' | 'events' | 'sqs' | 's3', target: string, body: unknown) => {
    if (service === 's3') {
      usage.s3Puts++;
      usage.s3Bytes +=
        typeof body === 'string'
          ? Buffer.byteLength(body, 'utf8')
          : ((body as Buffer | undefined)?.length ?? 0);
      return;
    }
    const text =
      typeof body === 'string'
        ? body
        : // The SDK's JSON bodies are Uint8Arrays that warn when read as strings: decode the bytes.
          new TextDecoder().decode((body ?? new Uint8Array()) as Uint8Array);
    const input = JSON.parse(text || '{}') as Record<string, unknown>;
    const operation = target.split('.').at(-1) ?? '';
    if (service === 'dynamodb') countDynamoDb(usage, operation, input, sizes);
    else if (service === 'events' && operation === 'PutEvents') {
      usage.putEventsRequests++;
      for (const entry of (input.Entries ?? []) as Array<{
        Source: string;
        DetailType: string;
        Detail: string;
        Time?: unknown;
      }>) {
        usage.putEventsEntries++;
        const bytes =
          (entry.Time !== undefined ? 14 : 0) +
          Buffer.byteLength(entry.Source, 'utf8') +
          Buffer.byteLength(entry.DetailType, 'utf8') +
          Buffer.byteLength(entry.Detail, 'utf8');
        usage.putEventsChunks += chunksOf(bytes);
      }
    } else if (service === 'sqs' && /SendMessage/.test(operation)) {
      const entries = (input.Entries ?? [input]) as Array<{
        MessageBody?: string;
        MessageAttributes?: unknown;
      }>;
      const bytes = entries.reduce(
        (sum, entry) =>
          sum +
          Buffer.byteLength(entry.MessageBody ?? '', 'utf8') +
          Buffer.byteLength(JSON.stringify(entry.MessageAttributes ?? {}), 'utf8'),
        0,
      );
      usage.sqsRequests += chunksOf(bytes);
    }
  };
}

function countRequests(
  // biome-ignore lint/suspicious/noExplicitAny: every SDK v3 client has a middleware stack of its own command types
  client: { middlewareStack: any },
  service: 'dynamodb' | 'events' | 'sqs' | 's3',
  count: ReturnType<typeof counter>,
) {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) =>
      async (args: { request?: { headers?: Record<string, string>; body?: unknown } }) => {
        const target = args.request?.headers?.['x-amz-target'] ?? '';
        if (service !== 's3' || (args.request as { method?: string })?.method === 'PUT') {
          count(service, target, args.request?.body);
        }
        return next(args);
      },
    { step: 'finalizeRequest', name: `costCounter-${service}` },
  );
}

function auth0Record(delivery: number, index: number, run: string): unknown {
  const n = delivery * RECORDS_PER_DELIVERY + index;
  const logId = `90020261203${run}${String(n).padStart(8, '0')}`.padEnd(56, '7');
  if (n % QUARANTINE_EVERY === QUARANTINE_EVERY / 2)
    return { log_id: logId, data: { date: '2026-12-03T10:00:00.000Z' } };
  const large = n % CLAIM_CHECK_EVERY === CLAIM_CHECK_EVERY - 1;
  return {
    log_id: logId,
    data: {
      date: '2026-12-03T10:00:00.000Z',
      type: ['s', 'f', 'fp', 'ss', 'seacft', 'sapi'][n % 6],
      description: large ? 'x'.repeat(300 * 1024) : 'Successful login',
      connection: 'Username-Password-Authentication',
      connection_id: 'con_0123456789abcdef',
      client_id: 'AaiyAPdpYdesoKnqjj8HJqRn4T5titww',
      client_name: 'My App',
      ip: '203.0.113.7',
      user_agent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      details: {
        prompts: [{ name: 'login', completedAt: 1764756000000, elapsedTime: 1234, user_id: 'auth0|jane' }],
        initiatedAt: 1764755998766,
        completedAt: 1764756000000,
        elapsedTime: 1234,
        session_id: 'yI4cbnpQYrwCrH1c5zJTl9S8zGlsJEle',
        stats: { loginsCount: 42 },
      },
      hostname: 'example.eu.auth0.com',
      user_id: `auth0|${n}`,
      user_name: `user${n}@example.com`,
      strategy: 'auth0',
      strategy_type: 'database',
      log_id: logId,
    },
  };
}

export interface CostResult {
  readonly records: number;
  readonly deliveries: number;
  readonly usage: Usage;
  /** CPU of the ingest core per delivery of 100 records, on this machine, in ms. */
  readonly coreCpuMsPerDelivery: number;
  readonly perMillion: Record<string, number>;
  readonly onDemand: number;
  readonly provisioned: number;
  readonly floor: number;
  /** The sustained records/s above which provisioned DynamoDB costs less than on-demand. */
  readonly breakEvenRecordsPerSecond: number;
  /** What provisioned DynamoDB costs a month at its minimum capacity, whatever the traffic. */
  readonly provisionedMinimumPerMonth: number;
}

/** Runs the stream through the ingest core with its real adapters on moto, counting what AWS would bill. */
export async function measureCost(deliveries = DELIVERIES): Promise<CostResult> {
  const moto = await startMoto();
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const aws = { endpoint: moto.endpoint, region: 'us-east-1' };
    const names = defaultLocalNames(`cost-${process.pid}`);
    const resources = await provisionLocal(aws, names, [], TOKEN);
    const proxy = await startSerializingProxy(moto.endpoint);
    closers.push(() => proxy.close());
    const usage = emptyUsage();
    const count = counter(usage);
    const dynamoDb = new DynamoDBClient(clientConfig({ ...aws, endpoint: proxy.endpoint }));
    const eventBridge = new EventBridgeClient(clientConfig(aws));
    const sqs = new SQSClient(clientConfig(aws));
    const s3 = new S3Client({ ...clientConfig(aws), forcePathStyle: true });
    countRequests(dynamoDb, 'dynamodb', count);
    countRequests(eventBridge, 'events', count);
    countRequests(sqs, 'sqs', count);
    countRequests(s3, 's3', count);
    for (const client of [dynamoDb, eventBridge, sqs, s3]) closers.push(async () => client.destroy());

    const settings: IngestSettings = { ...DEFAULT_INGEST_SETTINGS, busName: names.busName };
    const claimChecks = new S3ClaimCheckStore(s3, names.claimCheckBucket);
    const ports: IngestPorts = {
      ...fakePorts([TOKEN]),
      dedup: new DynamoDbDedupStore(
        DynamoDBDocumentClient.from(dynamoDb, { marshallOptions: { removeUndefinedValues: true } }),
        {
          tableName: names.dedupTableName,
          ttlSeconds: DEDUP_DAYS * 86_400,
          leaseSeconds: 120,
        },
      ),
      sink: new EventBridgeSink(eventBridge),
      quarantine: new SqsQuarantine(sqs, claimChecks, {
        queueUrl: resources.quarantineQueueUrl,
        maxMessageBytes: 256 * 1024,
      }),
      claimChecks,
    };
    const post = (delivery: number) => ({
      method: 'POST',
      headers: { authorization: TOKEN },
      body: JSON.stringify(
        Array.from({ length: RECORDS_PER_DELIVERY }, (_, i) =>
          auth0Record(delivery, i, String(process.pid % 1000).padStart(3, '0')),
        ),
      ),
    });

    let invocations = 0;
    let records = 0;
    for (let d = 0; d < deliveries; d++) {
      const { response, stats } = await ingest(post(d), ports, settings);
      invocations++;
      records += stats.received;
      if (response.statusCode !== 200)
        throw new Error(`Delivery ${d} answered ${response.statusCode}: ${response.body}`);
      if (d % REDELIVER_EVERY === REDELIVER_EVERY / 2) {
        const again = await ingest(post(d), ports, settings);
        invocations++;
        if (again.stats.published !== 0)
          throw new Error(`A redelivery published ${again.stats.published} records again`);
      }
    }

    // The core's CPU per delivery, on in-memory ports (no I/O): the compute part of the Lambda duration.
    const cpuPorts = fakePorts([TOKEN]);
    const started = process.cpuUsage();
    const cpuRuns = 20;
    for (let d = 0; d < cpuRuns; d++) await ingest(post(1_000_000 + d), cpuPorts, settings);
    const used = process.cpuUsage(started);
    const coreCpuMsPerDelivery = (used.user + used.system) / 1000 / cpuRuns;

    return price(records, invocations, usage, coreCpuMsPerDelivery);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await moto.stop();
  }
}

/** Dollars per million records, line by line, at the list prices above. */
export function price(
  records: number,
  invocations: number,
  usage: Usage,
  coreCpuMsPerDelivery: number,
): CostResult {
  const perRecord = (count: number) => (count / records) * 1e6;
  // Requests go 16 at a time (INGEST_CONCURRENCY); the outcome write waits for the publishing to end.
  const dynamoDbRoundTrips = Math.ceil(usage.dynamoDbRequests / invocations / 16) + 1;
  const putEventsRounds = Math.ceil(usage.putEventsRequests / invocations / 16);
  const durationSeconds =
    (coreCpuMsPerDelivery +
      dynamoDbRoundTrips * LAMBDA_DYNAMODB_ROUND_TRIP_MS +
      putEventsRounds * LAMBDA_PUT_EVENTS_ROUND_TRIP_MS) /
    1000;
  const storedGbMonths = (bytes: number, days: number) => (bytes / 1e9) * (days / DAYS_PER_MONTH);
  const dynamoDbStorage =
    storedGbMonths(usage.dynamoDbItemBytes + usage.dynamoDbItems * DYNAMODB_ITEM_OVERHEAD_BYTES, DEDUP_DAYS) *
    DYNAMODB_STORAGE_GB_MONTH;
  const common = {
    putEvents: (perRecord(usage.putEventsChunks) / 1e6) * EVENTBRIDGE_PER_MILLION_EVENTS,
    lambdaRequests: (perRecord(invocations) / 1e6) * LAMBDA_PER_MILLION_REQUESTS,
    lambdaDuration: perRecord(invocations) * durationSeconds * LAMBDA_MEMORY_GB * LAMBDA_ARM_GB_SECOND,
    sqs: (perRecord(usage.sqsRequests) / 1e6) * SQS_PER_MILLION_REQUESTS,
    s3:
      (perRecord(usage.s3Puts) / 1000) * S3_PER_THOUSAND_PUTS +
      storedGbMonths(perRecord(usage.s3Bytes), CLAIM_CHECK_DAYS) * S3_STORAGE_GB_MONTH,
    dynamoDbStorage: perRecord(dynamoDbStorage),
  };
  const dynamoDbOnDemand =
    (perRecord(usage.writeUnits) / 1e6) * DYNAMODB_ON_DEMAND_PER_MILLION_WRU +
    (perRecord(usage.readUnits) / 1e6) * DYNAMODB_ON_DEMAND_PER_MILLION_RRU;
  // Provisioned: a WCU serves 3,600 writes an hour for $0.00065, of which auto scaling uses PROVISIONED_UTILISATION.
  const dynamoDbProvisioned =
    perRecord(usage.writeUnits) * (DYNAMODB_WCU_HOUR / 3600 / PROVISIONED_UTILISATION) +
    perRecord(usage.readUnits) * (DYNAMODB_RCU_HOUR / 3600 / PROVISIONED_UTILISATION);
  const provisionedMinimumPerHour =
    PROVISIONED_MIN_WCU * DYNAMODB_WCU_HOUR + PROVISIONED_MIN_RCU * DYNAMODB_RCU_HOUR;
  const shared = Object.values(common).reduce((sum, dollars) => sum + dollars, 0);
  const floor = EVENTBRIDGE_PER_MILLION_EVENTS;
  return {
    records,
    deliveries: invocations,
    usage,
    coreCpuMsPerDelivery,
    perMillion: {
      ...common,
      dynamoDbOnDemand,
      dynamoDbProvisioned,
      writeUnitsPerRecord: usage.writeUnits / records,
      readUnitsPerRecord: usage.readUnits / records,
      dynamoDbRequestsPerRecord: usage.dynamoDbRequests / records,
      lambdaSecondsPerDelivery: durationSeconds,
    },
    onDemand: shared + dynamoDbOnDemand,
    provisioned: shared + dynamoDbProvisioned,
    floor,
    breakEvenRecordsPerSecond: breakEvenRecordsPerSecond(
      usage.writeUnits / records,
      usage.readUnits / records,
    ),
    provisionedMinimumPerMonth: provisionedMinimumPerHour * 24 * DAYS_PER_MONTH,
  };
}

/**
 * The sustained rate, in records/s, at which provisioned DynamoDB (auto scaling at PROVISIONED_UTILISATION,
 * never below PROVISIONED_MIN_WCU and PROVISIONED_MIN_RCU) costs what on-demand does; above it, provisioned is
 * cheaper. Per hour at `rate` records/s, on-demand is linear in the rate, and provisioned is
 * max(minimum, rate × units per record / utilisation) for writes and for reads: linear between the two points
 * where the rate fills a minimum. On-demand grows faster than provisioned's steepest part, so there is one
 * crossing; it is found in the piece that contains it.
 */
export function breakEvenRecordsPerSecond(writeUnitsPerRecord: number, readUnitsPerRecord: number): number {
  const onDemandPerRecordPerSecondHour =
    3600 *
    ((writeUnitsPerRecord * DYNAMODB_ON_DEMAND_PER_MILLION_WRU +
      readUnitsPerRecord * DYNAMODB_ON_DEMAND_PER_MILLION_RRU) /
      1e6);
  const parts = [
    { min: PROVISIONED_MIN_WCU, perRecord: writeUnitsPerRecord, hourly: DYNAMODB_WCU_HOUR },
    { min: PROVISIONED_MIN_RCU, perRecord: readUnitsPerRecord, hourly: DYNAMODB_RCU_HOUR },
  ];
  // The rate at which each part outgrows its minimum.
  const bends = parts
    .map(({ min, perRecord }) => (perRecord > 0 ? (min * PROVISIONED_UTILISATION) / perRecord : Infinity))
    .sort((a, b) => a - b);
  let from = 0;
  for (const to of [...bends, Infinity]) {
    // Within [from, to), each part is either at its minimum or scaling with the rate.
    const probe = Number.isFinite(to) ? (from + to) / 2 : from + 1;
    let fixed = 0;
    let slope = 0;
    for (const { min, perRecord, hourly } of parts) {
      if (probe * perRecord > min * PROVISIONED_UTILISATION)
        slope += (perRecord / PROVISIONED_UTILISATION) * hourly;
      else fixed += min * hourly;
    }
    const rate = fixed / (onDemandPerRecordPerSecondHour - slope);
    if (rate >= from && rate < to) return rate;
    from = to;
  }
  return Infinity;
}

export function costFigures(result: CostResult): Figure[] {
  const m = result.perMillion;
  const dollars = (value: number | undefined) => `$${(value ?? 0).toFixed(3)}`;
  const lines = `PutEvents ${dollars(m.putEvents)}, Lambda ${dollars((m.lambdaRequests ?? 0) + (m.lambdaDuration ?? 0))}, SQS ${dollars(m.sqs)}, S3 ${dollars(m.s3)}, DynamoDB storage ${dollars(m.dynamoDbStorage)}`;
  const units = `${(m.writeUnitsPerRecord ?? 0).toFixed(3)} WRU + ${(m.readUnitsPerRecord ?? 0).toFixed(3)} RRU per record`;
  const details = {
    pricesTakenOn: PRICES_TAKEN_ON,
    records: result.records,
    invocations: result.deliveries,
    ...Object.fromEntries(Object.entries(result.usage)),
    ...Object.fromEntries(Object.entries(m).map(([name, value]) => [`perMillion.${name}`, value])),
    coreCpuMsPerDelivery: result.coreCpuMsPerDelivery,
    provisionedMinWriteCapacity: PROVISIONED_MIN_WCU,
    provisionedMinReadCapacity: PROVISIONED_MIN_RCU,
    provisionedMinimumPerMonth: result.provisionedMinimumPerMonth,
    breakEvenRecordsPerSecond: result.breakEvenRecordsPerSecond,
  };
  return [
    {
      goal: '5. AWS cost per million records / PutEvents floor (DynamoDB on-demand)',
      measured: `$${result.onDemand.toFixed(3)} per million vs $${result.floor.toFixed(2)}: DynamoDB ${dollars(m.dynamoDbOnDemand)} (${units}), ${lines}. Floor of any per-record dedup write on on-demand: $1 + $0.625 = 1.625×`,
      ...atMost(result.onDemand / result.floor, 1.6),
      details,
    },
    {
      goal: `5. AWS cost per million records / PutEvents floor (DynamoDB provisioned, auto scaling at ${PROVISIONED_UTILISATION * 100} %)`,
      measured: `$${result.provisioned.toFixed(3)} per million vs $${result.floor.toFixed(2)}: DynamoDB ${dollars(m.dynamoDbProvisioned)} (${units}), ${lines}. At least ${PROVISIONED_MIN_WCU} WCU + ${PROVISIONED_MIN_RCU} RCU ($${result.provisionedMinimumPerMonth.toFixed(2)} a month): cheaper than on-demand above ${result.breakEvenRecordsPerSecond.toFixed(2)} records/s sustained (${((result.breakEvenRecordsPerSecond * 86_400 * DAYS_PER_MONTH) / 1e6).toFixed(1)} M a month)`,
      ...atMost(result.provisioned / result.floor, 1.6),
      details,
    },
  ];
}

export const cost: BenchPart = async () => costFigures(await measureCost());

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const figure of await cost()) {
    console.log(
      `${figure.goal}\n  ${figure.measured}\n  ${figure.ratio.toFixed(3)}× (goal ${figure.target}) ${figure.met ? 'met' : 'MISSED'}`,
    );
  }
}
