/**
 * The handler's wiring: the S3 and SQS adapters serve rare records only, so they are loaded on first use and
 * created once. Every adapter is replaced by the in-memory fakes; what is counted is how often the S3 and SQS
 * adapters are made.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const made = vi.hoisted(() => ({ quarantines: 0, claimCheckStores: 0 }));

vi.mock('../../../lambdas/ingest/adapters/dynamodb-dedup', async () => {
  const { InMemoryDedup } = await import('../../support/ingest-fakes');
  return {
    DynamoDbDedupStore: class extends InMemoryDedup {
      public constructor() {
        super([]);
      }
    },
  };
});
vi.mock('../../../lambdas/ingest/adapters/secret-tokens', async () => {
  const { StaticTokens } = await import('../../support/ingest-fakes');
  return {
    SecretTokenSource: class extends StaticTokens {
      public constructor() {
        super(['handler-token']);
      }
    },
  };
});
vi.mock('../../../lambdas/ingest/adapters/eventbridge-sink', async () => {
  const { RecordingSink } = await import('../../support/ingest-fakes');
  return {
    EventBridgeSink: class extends RecordingSink {
      public constructor() {
        super([]);
      }
    },
  };
});
vi.mock('../../../lambdas/ingest/adapters/sqs-quarantine', async () => {
  const { ListQuarantine } = await import('../../support/ingest-fakes');
  return {
    SqsQuarantine: class extends ListQuarantine {
      public constructor() {
        super([]);
        made.quarantines++;
      }
    },
  };
});
vi.mock('../../../lambdas/ingest/adapters/s3-claim-check', async () => {
  const { MapClaimChecks } = await import('../../support/ingest-fakes');
  return {
    S3ClaimCheckStore: class extends MapClaimChecks {
      public constructor() {
        super();
        made.claimCheckStores++;
      }
    },
  };
});

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
let handler: Handler;

beforeAll(async () => {
  for (const [name, value] of Object.entries({
    AWS_REGION: 'us-east-1',
    BUS_NAME: 'handler-bus',
    TOKEN_SECRET_ID: 'handler-token',
    DEDUP_TABLE_NAME: 'handler-dedup',
    QUARANTINE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111111111111/handler-quarantine',
    CLAIM_CHECK_BUCKET: 'handler-claims',
    PUT_EVENTS_MAX_BYTES: '4096',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  })) {
    vi.stubEnv(name, value);
  }
  ({ handler } = (await import('../../../lambdas/ingest/handler')) as unknown as { handler: Handler });
});

const context = {
  functionName: 'ingest',
  awsRequestId: 'request',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:ingest',
  memoryLimitInMB: '512',
} as Context;

function post(records: unknown[]): APIGatewayProxyEventV2 {
  return {
    rawPath: '/',
    headers: { authorization: 'Bearer handler-token' },
    body: JSON.stringify(records),
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  } as unknown as APIGatewayProxyEventV2;
}

const record = (id: string, extra: Record<string, unknown> = {}) => ({
  log_id: id,
  data: { log_id: id, type: 's', date: '2026-12-03T10:00:00.000Z', ...extra },
});

describe('the ingest handler', () => {
  it('loads neither the quarantine nor the claim-check store for a batch that needs neither', async () => {
    const response = await handler(post([record('h-1'), record('h-2')]), context);

    expect(JSON.parse(String(response.body))).toMatchObject({ published: 2, quarantined: 0 });
    expect(made).toEqual({ quarantines: 0, claimCheckStores: 0 });
  });

  it('creates the quarantine once, for the first unusable record, however many requests need it at once', async () => {
    const [first, second] = await Promise.all([
      handler(post([record('h-3'), { log_id: 'h-4', data: { date: 'x' } }]), context),
      handler(post([{ log_id: 'h-5', data: 'not a record' }]), context),
    ]);
    const third = await handler(post([{ log_id: 'h-6' }]), context);

    for (const response of [first, second, third]) {
      expect(JSON.parse(String(response.body))).toMatchObject({ quarantined: 1 });
    }
    expect(made).toEqual({ quarantines: 1, claimCheckStores: 0 });
  });

  it('creates the claim-check store once, for the first record too large for an event', async () => {
    const large = () => ({ details: { pad: 'x'.repeat(8192) } });

    await handler(post([record('h-7', large())]), context);
    const response = await handler(post([record('h-8', large())]), context);

    expect(JSON.parse(String(response.body))).toMatchObject({ published: 1 });
    expect(made).toEqual({ quarantines: 1, claimCheckStores: 1 });
  });
});
