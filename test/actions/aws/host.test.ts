import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbExecutions } from '../../../lambdas/actions/adapters/dynamodb-executions';
import { BUNDLE_FILE, type HostEnvironment } from '../../../lambdas/actions/host/contract';
import {
  type ActionHost,
  ActionSecretsError,
  BundleMismatchError,
  startActionHost,
} from '../../../lambdas/actions/host/host';
import type { ActionDeployment } from '../../../lambdas/actions/model';
import { ActionRunFailedError, type BusEvent } from '../../../lambdas/actions/runner';
import { assembleActionBundle } from '../../../lambdas/actions/runtime/bundle';
import { DETAIL_TYPE } from '../../../lambdas/ingest/event';
import { secretNameFor } from '../../../lambdas/lifecycle/secret-sets';
import { clientConfig, createTable } from '../../../local/provision';
import { emulator, uniqueName } from '../../support/aws';
import { drain } from '../../support/queues';

const ACTION_SECRET = 'action-api-key-7f3a9c';
const MODULE_SECRET = 'module-token-51be02';

/** A module that reads its own secret, as Auth0's Action Modules do. */
const GREETER = `
exports.tokenLength = () => actions.secrets.TOKEN.length;
exports.token = () => actions.secrets.TOKEN;`;

/** One action whose behaviour each event chooses through its description. */
const ACTION = `
const greeter = require('actions:greeter');
let runs = 0;
exports.onExecuteAuth0Log = async (event, api) => {
  runs++;
  const mode = event.data.description;
  console.log('run', runs, 'key', event.secrets.API_KEY, 'module token', greeter.token(), 'length', greeter.tokenLength());
  console.log('own secrets', Object.keys(event.secrets).join(','), 'actions is', typeof actions);
  if (mode === 'throw') throw new Error('refused with ' + event.secrets.API_KEY);
  if (mode === 'hang') await new Promise(() => {});
  if (mode === 'emit') {
    api.emit('Action notice', { log_id: event.log_id, note: 'not awaited' });
    await api.emit('Action notice', { log_id: event.log_id, note: 'awaited' });
  }
};
exports.onExecutePostLogin = async (event, api) => {
  api.access.deny('blocked country ' + event.request.geoip.countryCode);
  api.idToken.setCustomClaim('https://example.com/token', greeter.token());
};`;

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('the action host, in process, on moto', () => {
  const aws = emulator();
  const secretsManager = new SecretsManagerClient(clientConfig(aws));
  const dynamoDb = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(aws)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const eventBridge = new EventBridgeClient(clientConfig(aws));
  const sqs = new SQSClient(clientConfig(aws));
  const directory = mkdtempSync(join(tmpdir(), 'action-host-'));
  const bundlePath = join(directory, BUNDLE_FILE);
  const secretsPrefix = uniqueName('tenant');
  const tableName = uniqueName('executions');
  const busName = uniqueName('bus');
  const emitSource = 'auth0.actions';
  const actionId = randomUUID();
  const moduleId = randomUUID();
  let environment: HostEnvironment;
  let executions: DynamoDbExecutions;
  let queueUrl: string;
  let host: ActionHost;

  beforeAll(async () => {
    const bundle = assembleActionBundle({
      action: { code: ACTION },
      modules: [{ name: 'greeter', code: GREETER }],
    });
    writeFileSync(bundlePath, bundle.content);
    await secretsManager.send(
      new CreateSecretCommand({
        Name: secretNameFor(secretsPrefix, 'actions', actionId),
        SecretString: JSON.stringify({
          format: 1,
          values: { v1: ACTION_SECRET },
          sets: { 'set-a': { API_KEY: 'v1' } },
        }),
      }),
    );
    await secretsManager.send(
      new CreateSecretCommand({
        Name: secretNameFor(secretsPrefix, 'modules', moduleId),
        SecretString: JSON.stringify({
          format: 1,
          values: { v2: MODULE_SECRET },
          sets: { 'set-m': { TOKEN: 'v2' } },
        }),
      }),
    );
    await createTable(dynamoDb, tableName, { keys: ['pk', 'sk'], ttlAttribute: 'expires_at' });

    await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('emitted') }))).QueueUrl ?? '';
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    await eventBridge.send(
      new PutRuleCommand({
        Name: 'emitted',
        EventBusName: busName,
        EventPattern: JSON.stringify({ source: [emitSource] }),
      }),
    );
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: 'emitted',
        EventBusName: busName,
        Targets: [{ Id: 'queue', Arn: queueArn }],
      }),
    );

    environment = {
      deployment: deployment({ timeoutMs: 2000 }),
      shared: { executionsTable: tableName, busName, emitSource, secretsPrefix, executionTtlDays: 10 },
    };
    executions = new DynamoDbExecutions(dynamoDb, { tableName });
    host = await startActionHost(environment, {
      secretsManager,
      dynamoDb,
      eventBridge,
      logger: silent,
      bundlePath,
    });
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  function deployment(overrides: Partial<ActionDeployment> = {}): ActionDeployment {
    return {
      actionId,
      actionName: 'notify',
      versionId: randomUUID(),
      versionNumber: 3,
      bundle: {
        bucket: 'artifacts',
        key: 'bundle.js',
        sha256: assembleActionBundle({
          action: { code: ACTION },
          modules: [{ name: 'greeter', code: GREETER }],
        }).sha256,
        bytes: 1,
      },
      triggers: [{ id: 'auth0-log', version: 'v1' }],
      secretsSetId: 'set-a',
      moduleSecretSets: [{ moduleId, moduleName: 'greeter', setId: 'set-m' }],
      timeoutMs: 2000,
      ...overrides,
    };
  }

  const logEvent = (mode: string): BusEvent => ({
    id: randomUUID(),
    source: 'auth0.logs',
    'detail-type': DETAIL_TYPE,
    time: new Date().toISOString(),
    detail: { log_id: randomUUID(), data: { type: 's', description: mode }, category: 'auth.login.success' },
  });

  it('runs the action, records the execution, and keeps secret values out of it', async () => {
    // WHEN an event arrives
    const outcome = await host.handle(logEvent('ok'));

    // THEN it ran and its execution is recorded under the action
    expect(outcome.kind).toBe('ran');
    const id = outcome.kind === 'ran' ? outcome.execution.id : '';
    const recorded = await executions.get(id);
    expect(recorded).toMatchObject({
      actionId,
      status: 'succeeded',
      actionVersionNumber: 3,
      triggerId: 'auth0-log',
    });
    // AND the action saw its own secret as event.secrets, the module its own as actions.secrets, nothing else
    expect(recorded?.logs).toEqual([
      `run 1 key [REDACTED] module token [REDACTED] length ${MODULE_SECRET.length}`,
      'own secrets API_KEY actions is undefined',
    ]);
    expect(JSON.stringify(recorded)).not.toContain(ACTION_SECRET);
    expect(JSON.stringify(recorded)).not.toContain(MODULE_SECRET);
    expect((await executions.list(actionId, { offset: 0, limit: 10 })).items.map((e) => e.id)).toContain(id);
  });

  it('runs an event once, however often it is delivered', async () => {
    // GIVEN an event that ran
    const event = logEvent('ok');
    const first = await host.handle(event);

    // WHEN it is delivered again
    const second = await host.handle(event);

    // THEN the second delivery is a duplicate, and only one execution is recorded for it
    expect(first.kind).toBe('ran');
    expect(second).toEqual({ kind: 'duplicate' });
    const ofEvent = (await executions.list(actionId, { offset: 0, limit: 100 })).items.filter(
      (execution) => execution.eventId === event.id,
    );
    expect(ofEvent).toHaveLength(1);
  });

  it('throws when the action throws, after recording the failure with the secret redacted', async () => {
    // WHEN the action throws
    const failure = await host.handle(logEvent('throw')).catch((error: unknown) => error);

    // THEN the host throws, so Lambda fails the invocation and EventBridge retries it
    expect(failure).toBeInstanceOf(ActionRunFailedError);
    const execution = (failure as ActionRunFailedError).execution;
    expect(await executions.get(execution.id)).toMatchObject({
      status: 'failed',
      error: { name: 'Error', message: 'refused with [REDACTED]' },
    });
    // AND the event is not marked done: the retry runs it again
    const event = logEvent('throw');
    await expect(host.handle(event)).rejects.toBeInstanceOf(ActionRunFailedError);
    await expect(host.handle(event)).rejects.toBeInstanceOf(ActionRunFailedError);
  });

  it('publishes api.emit events on the bus with the actions’ source, awaited or not', async () => {
    // WHEN the action emits two events
    const event = logEvent('emit');
    const outcome = await host.handle(event);

    // THEN both reach the bus, from auth0.actions, before the run is recorded
    expect(outcome.kind === 'ran' && outcome.execution.emitted).toBe(2);
    const messages = await drain(sqs, queueUrl, 2);
    const bodies = messages.map((message) => JSON.parse(message.Body ?? '{}'));
    expect(bodies.map((body) => [body.source, body['detail-type'], body.detail.note]).sort()).toEqual([
      [emitSource, 'Action notice', 'awaited'],
      [emitSource, 'Action notice', 'not awaited'],
    ]);
    expect(bodies.every((body) => body.detail.log_id === event.detail.log_id)).toBe(true);
  });

  it('fails a run that outlasts its timeout, and marks the process as not to be reused', async () => {
    // GIVEN a host whose deployment allows 300 ms
    const short = await startActionHost(
      { ...environment, deployment: deployment({ timeoutMs: 300 }) },
      { secretsManager, dynamoDb, eventBridge, logger: silent, bundlePath },
    );

    // WHEN the action never settles
    const failure = await short.handle(logEvent('hang')).catch((error: unknown) => error);

    // THEN the host throws and the execution is recorded as timed out
    expect(failure).toBeInstanceOf(ActionRunFailedError);
    expect((failure as ActionRunFailedError).execution).toMatchObject({ status: 'timed_out' });
    expect(await executions.get((failure as ActionRunFailedError).execution.id)).toMatchObject({
      status: 'timed_out',
      error: { name: 'ActionTimeoutError' },
    });
    expect(short.spoiled).toBe(true);
    expect(host.spoiled).toBe(false);
  });

  it('runs a post-login action on its event and records its api calls in the execution, redacted', async () => {
    // GIVEN a host for the same bundle, deployed for post-login
    const postLogin = await startActionHost(
      { ...environment, deployment: deployment({ triggers: [{ id: 'post-login', version: 'v3' }] }) },
      { secretsManager, dynamoDb, eventBridge, logger: silent, bundlePath },
    );

    // WHEN a post-login event arrives
    const outcome = await postLogin.handle({
      id: randomUUID(),
      source: 'auth0.logs',
      'detail-type': 'Auth0 action: post-login',
      detail: { user: { user_id: 'auth0|1' }, request: { geoip: { countryCode: 'KP' } } },
    });

    // THEN it succeeded, and the execution read back from DynamoDB holds both calls, the secret redacted
    expect(outcome.kind).toBe('ran');
    const stored = await executions.get(outcome.kind === 'ran' ? outcome.execution.id : '');
    expect(stored).toMatchObject({
      triggerId: 'post-login',
      status: 'succeeded',
      recorded: [
        { method: 'api.access.deny', args: ['blocked country KP'] },
        { method: 'api.idToken.setCustomClaim', args: ['https://example.com/token', '[REDACTED]'] },
      ],
    });
    expect(JSON.stringify(stored)).not.toContain(MODULE_SECRET);
  });

  it('refuses to start with a set the secret no longer holds, naming the secret and never a value', async () => {
    const start = startActionHost(
      { ...environment, deployment: deployment({ secretsSetId: 'pruned-set' }) },
      { secretsManager, dynamoDb, eventBridge, logger: silent, bundlePath },
    );
    await expect(start).rejects.toBeInstanceOf(ActionSecretsError);
    await expect(start).rejects.toThrow(secretNameFor(secretsPrefix, 'actions', actionId));
  });

  it('refuses to start with a bundle that is not the deployed one', async () => {
    const other = deployment();
    const start = startActionHost(
      { ...environment, deployment: { ...other, bundle: { ...other.bundle, sha256: '0'.repeat(64) } } },
      { secretsManager, dynamoDb, eventBridge, logger: silent, bundlePath },
    );
    await expect(start).rejects.toBeInstanceOf(BundleMismatchError);
  });
});
