/** The actions' DynamoDB adapters against moto: names, limits, bindings, the rules lock, executions and run claims. */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbExecutions } from '../../lambdas/actions/adapters/dynamodb-executions';
import { DynamoDbActionStore } from '../../lambdas/actions/adapters/dynamodb-store';
import type {
  ActionRecord,
  ActionSpec,
  ActionVersionRecord,
  ExecutionRecord,
} from '../../lambdas/actions/model';
import { actionFingerprint } from '../../lambdas/actions/registry';
import { defaultModulesNames, provisionModulesLocal } from '../../local/modules';
import { clientConfig, createTable } from '../../local/provision';
import { startSerializingProxy } from '../../local/serializing-proxy';
import { emulator, uniqueName } from '../support/aws';

const aws = emulator();
const names = defaultModulesNames(uniqueName('actions-store'));
const executionsTable = uniqueName('executions');
let proxy: Awaited<ReturnType<typeof startSerializingProxy>>;
let client: DynamoDBDocumentClient;
let store: DynamoDbActionStore;
let executions: DynamoDbExecutions;

const SPEC: ActionSpec = {
  supportedTriggers: [{ id: 'auth0-log', version: 'v1' }],
  modules: [],
  runtime: 'node22',
};

function action(name: string): ActionRecord {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    name,
    code: 'exports.onExecuteAuth0Log = async () => {};',
    dependencies: [],
    secrets: [],
    spec: SPEC,
    draftRevision: 1,
    draftFingerprint: actionFingerprint('x', [], undefined, SPEC),
    versionCount: 0,
    versionSecretSets: [],
    createdAt: now,
    updatedAt: now,
  };
}

beforeAll(async () => {
  await provisionModulesLocal(aws, names);
  proxy = await startSerializingProxy(aws.endpoint);
  const raw = new DynamoDBClient(clientConfig({ ...aws, endpoint: proxy.endpoint }));
  await createTable(raw, executionsTable, { keys: ['pk', 'sk'] });
  client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoDbActionStore(client, { tableName: names.tableName });
  executions = new DynamoDbExecutions(client, { tableName: executionsTable, leaseSeconds: 60 });
});

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
});

describe('DynamoDbActionStore', () => {
  it('creates an action once per name and up to the limit, and frees the name on delete', async () => {
    const first = action('alpha');
    await store.createAction(first, 2);
    await expect(store.createAction(action('alpha'), 2)).rejects.toMatchObject({
      errorCode: 'action_conflict',
    });
    await store.createAction(action('beta'), 2);
    await expect(store.createAction(action('gamma'), 2)).rejects.toMatchObject({
      errorCode: 'too_many_actions',
    });
    expect((await store.listActions({ offset: 0, limit: 10 })).total).toBe(2);
    await store.deleteAction(first.id);
    await store.createAction(action('alpha'), 2);
    expect(await store.get(first.id)).toBeUndefined();
  });

  it('keeps the spec through draft saves and versions, and marks a version deployed', async () => {
    const record = action(`spec-${randomUUID().slice(0, 6)}`);
    await store.createAction(record, 100);
    const lease = await store.acquireLease(record.id, 'lease-1', Date.now(), Date.now() + 10_000);
    expect(lease.acquired).toBe(true);
    const spec: ActionSpec = {
      ...SPEC,
      modules: [{ moduleId: 'm', moduleName: 'logger', moduleVersionId: 'v', moduleVersionNumber: 1 }],
    };
    const saved = await store.saveDraft(record.id, 'lease-1', {
      code: record.code,
      dependencies: [],
      secrets: [],
      spec,
      draftFingerprint: 'fp-2',
      updatedAt: new Date().toISOString(),
    });
    expect(saved.spec).toEqual(spec);
    const version: ActionVersionRecord = {
      id: randomUUID(),
      ownerId: record.id,
      actionId: record.id,
      versionNumber: 1,
      code: record.code,
      dependencies: [],
      secrets: [],
      spec,
      fingerprint: 'fp-2',
      artifact: { bucket: 'b', key: 'k', sha256: 'a'.repeat(64), bytes: 1 },
      moduleSecretSets: [{ moduleId: 'm', moduleName: 'logger', setId: 'set-1' }],
      createdAt: new Date().toISOString(),
    };
    await store.createVersion(version, { draftRevision: saved.draftRevision, versionCount: 0 });
    expect(await store.getVersion(record.id, version.id)).toEqual(version);
    const deployed = await store.markDeployed(record.id, version.id, 1);
    expect(deployed).toMatchObject({ deployedVersionId: version.id, deployedVersionNumber: 1 });
    await expect(store.markDeployed(record.id, 'no-such-version', 2)).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('keeps bindings in order per trigger, and lets one holder at a time take the rules lock', async () => {
    const now = new Date().toISOString();
    const bindings = ['b', 'a'].map((name) => ({
      id: randomUUID(),
      triggerId: 'auth0-log' as const,
      actionId: name,
      actionName: name,
      displayName: name,
      match: { codes: ['fp'] },
      createdAt: now,
      updatedAt: now,
    }));
    await store.putBindings('auth0-log', bindings);
    expect(await store.getBindings('auth0-log')).toEqual(bindings);
    expect(await store.lockRules('one')).toBe(true);
    expect(await store.lockRules('two')).toBe(false);
    await store.unlockRules('one');
    expect(await store.lockRules('two')).toBe(true);
    await store.unlockRules('two');
  });
});

describe('DynamoDbExecutions', () => {
  const run = () => ({ actionId: randomUUID(), versionId: randomUUID(), eventId: randomUUID() });

  it('lets one delivery claim a run, the others wait, and a done run stays done', async () => {
    const ref = run();
    expect(await executions.claim(ref, 'a')).toBe('claimed');
    expect(await executions.claim(ref, 'b')).toBe('in-flight');
    await executions.release(ref, 'a');
    expect(await executions.claim(ref, 'b')).toBe('claimed');
    await executions.complete(ref, 'b');
    expect(await executions.claim(ref, 'c')).toBe('done');
  });

  it('records executions, gets one by id and lists an action’s newest first', async () => {
    const actionId = randomUUID();
    const record = (n: number): ExecutionRecord => ({
      id: `${actionId}.${n}`,
      actionId,
      actionName: 'notify',
      actionVersionId: 'v1',
      actionVersionNumber: 1,
      triggerId: 'auth0-log',
      eventId: `event-${n}`,
      status: n === 2 ? 'failed' : 'succeeded',
      startedAt: `2026-12-03T08:00:0${n}.000Z`,
      endedAt: `2026-12-03T08:00:0${n}.010Z`,
      durationMs: 10,
      logs: [`run ${n}`],
      ...(n === 2 ? { error: { name: 'Error', message: 'boom' } } : {}),
    });
    for (const n of [1, 2, 3]) await executions.put(record(n));
    expect(await executions.get(`${actionId}.2`)).toEqual(record(2));
    const listed = await executions.list(actionId, { offset: 0, limit: 2 });
    expect(listed.total).toBe(3);
    expect(listed.items.map(({ id }) => id)).toEqual([`${actionId}.3`, `${actionId}.2`]);
    expect(await executions.get(`${actionId}.9`)).toBeUndefined();
  });

  it('keeps recorded api calls as made, whatever JSON their arguments hold', async () => {
    // GIVEN calls with a number past DynamoDB's range, nesting past its 32 levels, and empty keys and strings
    const actionId = randomUUID();
    let deep: unknown = 'bottom';
    for (let level = 0; level < 40; level++) deep = [deep];
    const execution: ExecutionRecord = {
      id: `${actionId}.1`,
      actionId,
      actionName: 'deny',
      actionVersionId: 'v1',
      actionVersionNumber: 1,
      triggerId: 'post-login',
      eventId: 'event-1',
      status: 'succeeded',
      startedAt: '2026-12-03T08:00:01.000Z',
      endedAt: '2026-12-03T08:00:01.010Z',
      durationMs: 10,
      logs: [],
      recorded: [
        { method: 'api.access.deny', args: ['blocked country'] },
        { method: 'api.idToken.setCustomClaim', args: ['huge', 1e200] },
        { method: 'api.user.setAppMetadata', args: ['deep', deep, { '': '' }] },
      ],
      recordedOmitted: 3,
    };

    // WHEN it is written and read back
    await executions.put(execution);

    // THEN it is read back as written, by id and in the list
    expect(await executions.get(execution.id)).toEqual(execution);
    expect((await executions.list(actionId, { offset: 0, limit: 10 })).items).toEqual([execution]);
  });
});
