import { readFile, stat } from 'node:fs/promises';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { localAccessFile } from '../../cli/local-access';
import { clientConfig } from '../../local/provision';
import { runCli } from '../modules/support/cli-io';
import { emulator, uniqueName } from '../support/aws';
import { LocalStart } from '../support/local-start';

let running: LocalStart | undefined;
afterEach(() => running?.kill());

async function postAndSeeRouted(start: LocalStart, token: string, logId: string) {
  const [, url] = await start.waitFor(/Ingest URL\s+(http:\/\/127\.0\.0\.1:\d+\/)/);
  const body = JSON.stringify([{ log_id: logId, data: { type: 'fp', date: '2026-11-22T10:00:00.000Z' } }]);
  const post = () =>
    fetch(url ?? '', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
  expect(await (await post()).json()).toEqual({ received: 1, published: 1, duplicates: 0, quarantined: 0 });
  await start.waitFor(new RegExp(`failed-logins\\s+fp\\s+.*log_id=${logId}`));
  expect(await (await post()).json()).toEqual({ received: 1, published: 0, duplicates: 1, quarantined: 0 });
}

describe('npm start', () => {
  it('starts its own moto_server, shows routed events, and stops everything on Ctrl-C', {
    timeout: 90_000,
  }, async () => {
    running = new LocalStart(['--port', '0', '--token', 'local-start-token']);
    const [, endpoint] = await running.waitFor(/AWS endpoint\s+(http:\/\/127\.0\.0\.1:\d+) \(moto_server/);
    await postAndSeeRouted(running, 'local-start-token', 'local-start-1');
    const [, modulesUrl] = await running.waitFor(/Modules API\s+(\S+)/);
    const [, managementToken, shownFile] = await running.waitFor(
      /Modules token\s+(\S+)\s+\(a0bridge reads it from (\S+)\)/,
    );
    const origin = new URL(modulesUrl ?? '').origin;
    const file = localAccessFile(new URL(origin).port);

    const anonymous = await fetch(modulesUrl ?? '');
    const modules = await fetch(modulesUrl ?? '', {
      headers: { authorization: `Bearer ${managementToken}` },
    });
    // The CLI as the README runs it, told only where the stack is: it finds the token on its own.
    const cli = await runCli(['modules', 'list'], { env: { A0BRIDGE_ENDPOINT: origin } });

    expect(managementToken).toMatch(/^[\w-]{32}$/);
    expect(managementToken).not.toBe('local-start-token');
    expect(file.endsWith(shownFile ?? '')).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      endpoint: origin,
      managementToken,
      ingestUrl: `${origin}/`,
      ingestToken: 'local-start-token',
    });
    expect(anonymous.status).toBe(401);
    expect(modules.status).toBe(200);
    expect(await modules.json()).toMatchObject({ modules: [] });
    expect(cli).toMatchObject({ code: 0, stdout: expect.stringContaining('0 module(s)') });

    expect(running.output).toMatch(
      /Actions\s+executions in auth0-events-action-executions, failed events in auth0-events-actions-dlq\n/,
    );

    expect(await running.interrupt()).toBe(0);
    expect(running.groupAlive()).toBe(false);
    await expect(fetch(`${endpoint}/moto-api/`)).rejects.toThrow();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('uses the emulator it is given and starts none', { timeout: 90_000 }, async () => {
    const busName = uniqueName('start-bus');
    running = new LocalStart([
      '--port',
      '0',
      '--token',
      't2',
      '--management-token',
      't2-management',
      '--aws-endpoint',
      emulator().endpoint,
      '--bus-name',
      busName,
    ]);
    await running.waitFor(new RegExp(`Event bus\\s+${busName}`));
    expect(running.output).not.toMatch(/Starting moto_server/);
    await postAndSeeRouted(running, 't2', 'local-start-2');
    const [, modulesUrl] = await running.waitFor(/Modules API\s+(\S+)/);
    const modules = await fetch(modulesUrl ?? '', { headers: { authorization: 'Bearer t2-management' } });
    expect(running.output).toMatch(/Modules token\s+t2-management\s/);
    expect(modules.status).toBe(200);
    // The actions' executions table (pk/sk, TTL) and DLQ were created on the emulator it was given.
    await running.waitFor(new RegExp(`Actions\\s+executions in ${busName}-action-executions`));
    const config = clientConfig(emulator());
    const dynamoDb = new DynamoDBClient(config);
    const sqs = new SQSClient(config);
    try {
      const tableName = `${busName}-action-executions`;
      const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
      const ttl = await dynamoDb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${busName}-actions-dlq` }));
      const dlq = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(ttl.TimeToLiveDescription).toMatchObject({
        AttributeName: 'expires_at',
        TimeToLiveStatus: 'ENABLED',
      });
      expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');
    } finally {
      dynamoDb.destroy();
      sqs.destroy();
    }
    expect(await running.interrupt()).toBe(0);
    expect(running.groupAlive()).toBe(false);
  });
});
