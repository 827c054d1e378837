/**
 * A loopback stand-in for the AWS APIs the ingest calls, and the environment Lambda gives the ingest pointed
 * at it: for running a bundled handler in a plain Node.js process (bench/cold-start.ts, the bundling test).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { ingestEnvironment } from '../../lambdas/ingest/config';

/** The token the stub's Secrets Manager holds. */
export const STUB_TOKEN = 'bench-token';

/**
 * A loopback stand-in for the AWS APIs the two functions call, answering each with canned success at once:
 * EventBridge PutEvents, DynamoDB writes, Secrets Manager GetSecretValue, SQS SendMessageBatch and S3 PUTs.
 */
export async function startAwsStub(): Promise<AwsStub> {
  const requests: StubRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', target: String(request.headers['x-amz-target'] ?? '') });
      answer(request, Buffer.concat(chunks).toString('utf8'), response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

export interface StubRequest {
  readonly method: string;
  /** `X-Amz-Target`, e.g. `AWSEvents.PutEvents`; empty for S3. */
  readonly target: string;
}

export interface AwsStub {
  readonly server: Server;
  readonly endpoint: string;
  /** Every request answered, in order. */
  readonly requests: StubRequest[];
}

function answer(request: IncomingMessage, body: string, response: ServerResponse): void {
  const { status, type, value } = reply(request, body);
  if (type === undefined) {
    response.writeHead(status, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(value));
}

/** The canned answer to a request: JSON for the JSON protocols, an empty 200 (no type) for an S3 PUT. */
function reply(request: IncomingMessage, body: string): { status: number; type?: string; value?: unknown } {
  const target = String(request.headers['x-amz-target'] ?? '');
  const json11 = 'application/x-amz-json-1.1';
  const json10 = 'application/x-amz-json-1.0';
  if (target.startsWith('AWSEvents.')) {
    const entries = (JSON.parse(body) as { Entries?: unknown[] }).Entries ?? [];
    const value = { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
    return { status: 200, type: json11, value };
  }
  if (target.startsWith('secretsmanager.')) {
    const value = {
      ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:bench-token',
      Name: 'bench-token',
      SecretString: JSON.stringify({ token: STUB_TOKEN }),
      VersionId: 'v1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_796_292_000,
    };
    return { status: 200, type: json11, value };
  }
  if (target.startsWith('DynamoDB_')) {
    // A fresh claim: each INSERT of a BatchExecuteStatement goes in, as DynamoDB answers for a new log_id.
    if (target.endsWith('.BatchExecuteStatement')) {
      const statements = (JSON.parse(body) as { Statements?: unknown[] }).Statements ?? [];
      return {
        status: 200,
        type: json10,
        value: { Responses: statements.map(() => ({ TableName: 'bench-dedup' })) },
      };
    }
    return {
      status: 200,
      type: json10,
      value: target.endsWith('.BatchWriteItem') ? { UnprocessedItems: {} } : {},
    };
  }
  if (target.startsWith('AmazonSQS.')) {
    const entries =
      (JSON.parse(body) as { Entries?: Array<{ Id: string; MessageBody: string }> }).Entries ?? [];
    const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
    const successful = entries.map(({ Id, MessageBody }) => ({
      Id,
      MessageId: randomUUID(),
      MD5OfMessageBody: md5(MessageBody),
    }));
    return { status: 200, type: json10, value: { Successful: successful, Failed: [] } };
  }
  if (request.method === 'PUT') return { status: 200 };
  const message = `The bench stub does not answer ${target || request.method}`;
  return { status: 400, type: json11, value: { __type: 'UnknownOperationException', message } };
}

/** What Lambda sets, plus the ingest's own variables as lib/ingest.ts sets them, pointed at the stub. */
export function lambdaEnvironment(endpoint: string, nodeOptions = ''): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH0',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_ENDPOINT_URL: endpoint,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: 'bench-ingest',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/bench-ingest',
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    LAMBDA_TASK_ROOT: tmpdir(),
    TZ: ':UTC',
    ...ingestEnvironment(
      {
        busName: 'bench-bus',
        tokenSecretId: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:bench-token',
        dedupTableName: 'bench-dedup',
        quarantineQueueUrl: `${endpoint}/111111111111/bench-quarantine`,
        claimCheckBucket: 'bench-claims',
      },
      { eventSource: 'auth0.logs', dedupTtlDays: 7, dedupLeaseSeconds: 120 },
    ),
    POWERTOOLS_METRICS_NAMESPACE: 'Auth0EventBridge',
  };
}
