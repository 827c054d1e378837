import { createServer, type Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig, createTable } from '../../local/provision';
import { startSerializingProxy } from '../../local/serializing-proxy';
import { listen } from '../../local/server';
import { emulator, uniqueName } from '../support/aws';
import { expectRacingIncrementsAppliedOnce } from '../support/racing-writes';

/** A stand-in for the emulator: answers each request after 40 ms and records what overlapped. */
class SlowUpstream {
  public readonly seen: string[] = [];
  public readonly overlaps: Array<[string, string]> = [];
  private readonly running = new Set<string>();
  private server?: Server;

  public async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const operation = String(request.headers['x-amz-target']).split('.')[1] ?? '';
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (operation === 'DescribeTable') {
          response.end(
            JSON.stringify({ Table: { KeySchema: [{ AttributeName: 'log_id', KeyType: 'HASH' }] } }),
          );
          return;
        }
        const label = `${operation} ${JSON.stringify(body.Key ?? (body.Item as { log_id?: unknown })?.log_id ?? '')}`;
        this.seen.push(label);
        for (const other of this.running) this.overlaps.push([label, other]);
        this.running.add(label);
        setTimeout(() => {
          this.running.delete(label);
          response.end('{}');
        }, 40);
      });
    });
    return `http://127.0.0.1:${await listen(this.server, 0)}`;
  }

  public close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

const HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  authorization: 'AWS4-HMAC-SHA256 Credential=testing/20261203/us-east-1/dynamodb/aws4_request, Signature=x',
};
const call = (endpoint: string, operation: string, body: unknown) =>
  fetch(endpoint, {
    method: 'POST',
    headers: { ...HEADERS, 'x-amz-target': `DynamoDB_20120810.${operation}` },
    body: JSON.stringify(body),
  });

describe('the DynamoDB proxy of local mode', () => {
  it('runs requests on different items side by side, and never two on one item at once', async () => {
    // GIVEN the proxy in front of a slow emulator
    const upstream = new SlowUpstream();
    const proxy = await startSerializingProxy(await upstream.start());
    try {
      const key = (id: string) => ({ TableName: 't', Key: { log_id: { S: id } } });
      // WHEN three updates of item a and one of item b arrive together
      await Promise.all([
        call(proxy.endpoint, 'UpdateItem', key('a')),
        call(proxy.endpoint, 'UpdateItem', key('a')),
        call(proxy.endpoint, 'GetItem', key('b')),
        call(proxy.endpoint, 'UpdateItem', key('a')),
      ]);
      // THEN b ran beside a, and the updates of a one after the other
      const a = 'UpdateItem {"log_id":{"S":"a"}}';
      expect(upstream.seen.filter((label) => label === a)).toHaveLength(3);
      expect(upstream.overlaps.some(([one, other]) => one === a && other === a)).toBe(false);
      expect(upstream.overlaps.some((pair) => pair.includes('GetItem {"log_id":{"S":"b"}}'))).toBe(true);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it('runs a transaction alone, and a put on a table whose key it learns alone the first time only', async () => {
    const upstream = new SlowUpstream();
    const proxy = await startSerializingProxy(await upstream.start());
    try {
      const put = (id: string) => ({ TableName: 't', Item: { log_id: { S: id }, n: { N: '1' } } });
      await Promise.all([
        call(proxy.endpoint, 'PutItem', put('first')),
        call(proxy.endpoint, 'TransactWriteItems', { TransactItems: [] }),
        call(proxy.endpoint, 'PutItem', put('x')),
      ]);
      // The first put waited for the key of its table to be learned; the others ran after it, one by one.
      expect(upstream.overlaps).toEqual([]);
      upstream.overlaps.length = 0;
      // Now that the key is known, puts on different items run side by side.
      await Promise.all([
        call(proxy.endpoint, 'PutItem', put('y')),
        call(proxy.endpoint, 'PutItem', put('z')),
      ]);
      expect(upstream.overlaps.map((pair) => [...pair].sort())).toEqual([
        ['PutItem {"S":"y"}', 'PutItem {"S":"z"}'],
      ]);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe('the DynamoDB proxy in front of moto', () => {
  const aws = emulator();
  const table = uniqueName('it-proxy');
  let proxy: Awaited<ReturnType<typeof startSerializingProxy>>;
  let client: DynamoDBDocumentClient;

  beforeAll(async () => {
    const direct = new DynamoDBClient(clientConfig(aws));
    await createTable(direct, table, { keys: ['log_id'] });
    direct.destroy();
    proxy = await startSerializingProxy(aws.endpoint);
    client = DynamoDBDocumentClient.from(
      new DynamoDBClient(clientConfig({ ...aws, endpoint: proxy.endpoint })),
    );
  });
  afterAll(async () => {
    client.destroy();
    await proxy.close();
  });

  it('applies 20 racing conditional increments of one counter once each, as DynamoDB does', async () => {
    await expectRacingIncrementsAppliedOnce(client, table, 5);
  });
});
