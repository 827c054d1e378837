import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import {
  BatchExecuteStatementCommand,
  type BatchStatementResponse,
  DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDedupStore } from '../../lambdas/ingest/adapters/dynamodb-dedup';
import { type MotoServer, startMoto } from '../../local/moto';
import { clientConfig, createTable } from '../../local/provision';
import { startSerializingProxy } from '../../local/serializing-proxy';
import { uniqueName } from '../support/aws';
import { expectRacingIncrementsAppliedOnce } from '../support/racing-writes';

const REGION = 'us-east-1';
const AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=testing/20261203/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly reusedSocket: boolean;
}

/** One raw HTTP request through `agent`, telling whether it went out on a connection opened before. */
function send(
  endpoint: string,
  agent: Agent,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, endpoint);
    const outgoing = request(
      { host: url.hostname, port: url.port, path: url.pathname, method, agent, headers },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: outgoing.reusedSocket,
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const dynamoDbCall = (endpoint: string, agent: Agent, operation: string, input: unknown) =>
  send(
    endpoint,
    agent,
    'POST',
    '/',
    {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      authorization: AUTHORIZATION,
    },
    JSON.stringify(input),
  );

describe('moto started through local/moto-launcher.py', () => {
  let moto: MotoServer;
  let direct: DynamoDBClient;
  let documents: DynamoDBDocumentClient;
  const table = uniqueName('launcher');

  beforeAll(async () => {
    moto = await startMoto();
    direct = new DynamoDBClient(clientConfig({ endpoint: moto.endpoint, region: REGION }));
    documents = DynamoDBDocumentClient.from(direct);
    await createTable(direct, table, { keys: ['log_id'], ttlAttribute: 'expires_at' });
  });
  afterAll(async () => {
    direct?.destroy();
    await moto?.stop();
  });

  it('answers AWS JSON calls on one kept-alive connection, and closes after other requests as before', async () => {
    // GIVEN a client that keeps one connection
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // WHEN it makes two DynamoDB calls one after the other
      const first = await dynamoDbCall(moto.endpoint, agent, 'ListTables', {});
      const second = await dynamoDbCall(moto.endpoint, agent, 'DescribeTable', { TableName: table });
      // THEN both are answered, with their length, and the second used the first one's connection
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(JSON.parse(first.body).TableNames).toContain(table);
      expect(JSON.parse(second.body).Table.TableName).toBe(table);
      expect(second.headers['content-length']).toBe(String(Buffer.byteLength(second.body)));
      expect(first.headers.connection).not.toBe('close');
      expect(second.reusedSocket).toBe(true);
      // AND a GET still goes through werkzeug's own handling, which closes the connection
      const get = await send(moto.endpoint, agent, 'GET', '/moto-api/', {});
      expect(get.status).toBe(200);
      expect(get.headers.connection).toBe('close');
    } finally {
      agent.destroy();
    }
  });

  it('answers a batch of INSERTs statement by statement: DuplicateItem for a key that exists, else a stored item', async () => {
    // GIVEN an item that exists
    const statement = `INSERT INTO "${table}" VALUE {'log_id': ?, 'status': ?, 'expires_at': ?, 'raw': ?}`;
    const insert = (id: string) => ({
      Statement: statement,
      Parameters: [{ S: id }, { S: 'pending' }, { N: '1800000000' }, { SS: ['a', 'b'] }],
    });
    await direct.send(new BatchExecuteStatementCommand({ Statements: [insert('taken')] }));
    // WHEN a batch inserts it again beside a new one
    const output = await direct.send(
      new BatchExecuteStatementCommand({ Statements: [insert('taken'), insert('fresh')] }),
    );
    // THEN only the new one goes in, and it holds what was sent
    const responses = output.Responses as BatchStatementResponse[];
    expect(responses.map((response) => response.Error?.Code)).toEqual(['DuplicateItem', undefined]);
    const item = await direct.send(
      new GetItemCommand({ TableName: table, Key: { log_id: { S: 'fresh' } }, ConsistentRead: true }),
    );
    expect(item.Item).toEqual({
      log_id: { S: 'fresh' },
      status: { S: 'pending' },
      expires_at: { N: '1800000000' },
      raw: { SS: ['a', 'b'] },
    });
  });

  it('inserts a blob parameter through moto’s own request parsing', async () => {
    const output = await direct.send(
      new BatchExecuteStatementCommand({
        Statements: [
          {
            Statement: `INSERT INTO "${table}" VALUE {'log_id': ?, 'payload': ?}`,
            Parameters: [{ S: 'blob' }, { B: new Uint8Array([1, 2, 3]) }],
          },
        ],
      }),
    );
    expect(output.Responses?.[0]?.Error).toBeUndefined();
    const item = await direct.send(new GetItemCommand({ TableName: table, Key: { log_id: { S: 'blob' } } }));
    expect(item.Item?.payload?.B).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('applies 20 racing conditional increments of one counter once each, without the serializing proxy', async () => {
    await expectRacingIncrementsAppliedOnce(documents, table, 10);
  });

  it('gives each log_id to exactly one of three racing deliveries of the same 100 records', async () => {
    // GIVEN three deliveries of the same records, claimed at once straight against moto
    const store = new DynamoDbDedupStore(documents, {
      tableName: table,
      ttlSeconds: 86_400,
      leaseSeconds: 120,
    });
    const ids = Array.from({ length: 100 }, (_, i) => `race-${i}`);
    // WHEN all three claim the whole batch
    const claims = await Promise.all(['a', 'b', 'c'].map((lease) => store.claim(ids, `lease-${lease}`)));
    // THEN every record was claimed once, and the others saw it in flight
    ids.forEach((_, i) => {
      const states = claims.map((claim) => claim[i]);
      expect(states.filter((state) => state === 'claimed')).toHaveLength(1);
      expect(states.filter((state) => state === 'in-flight')).toHaveLength(2);
    });
  });

  it('needs no serializing proxy: startSerializingProxy hands back its own endpoint', async () => {
    const proxy = await startSerializingProxy(moto.endpoint);
    try {
      expect(proxy.endpoint).toBe(moto.endpoint);
    } finally {
      await proxy.close();
    }
  });
});

describe('startSerializingProxy in front of another emulator', () => {
  it('starts a proxy of its own', async () => {
    // An endpoint no moto of this process serves (nothing needs to listen there to start the proxy).
    const proxy = await startSerializingProxy('http://127.0.0.1:9');
    try {
      expect(proxy.endpoint).not.toBe('http://127.0.0.1:9');
      expect(proxy.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await proxy.close();
    }
  });
});
