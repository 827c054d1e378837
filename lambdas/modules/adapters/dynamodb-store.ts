import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { backoffDelayMs, sleep } from '../../shared/concurrency';
import {
  LeaseLostError,
  ModuleInUseError,
  ModuleLimitError,
  ModuleNameTakenError,
  ModuleNotFoundError,
  VersionConflictError,
  VersionNotFoundError,
} from '../errors';
import type {
  ArtifactRef,
  Dependency,
  DraftState,
  ModuleRecord,
  ModuleUsage,
  Page,
  SecretInfo,
  VersionRecord,
  Window,
} from '../model';
import type { LeaseResult, ModuleStore, VersionExpectation } from '../ports';

/** The table's key schema: string partition key `pk` and string sort key `sk`, nothing else. */
export const MODULES_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/**
 * One table, these items:
 * - `MODULES` / `MODULE#<id>`: a module with its draft, counters and draft lock (all modules in one
 *   partition: at most 100 of them, listed in id order, which is creation order);
 * - `NAME#<name>` / `NAME`: the name is taken (uniqueness);
 * - `TENANT` / `MODULE_COUNT`: how many modules exist (the 100-module limit);
 * - `MODULE#<id>` / `VERSION#<000001>`: a published version, immutable;
 * - `MODULE#<id>` / `VERSIONID#<versionId>`: finds a version by id;
 * - `MODULE#<id>` / `ACTION#<actionId>`: an action uses this module (written by the actions feature).
 */
const MODULES_PK = 'MODULES';
const COUNTER_KEY = { pk: 'TENANT', sk: 'MODULE_COUNT' };
const moduleKey = (id: string) => ({ pk: MODULES_PK, sk: `MODULE#${id}` });
const nameKey = (name: string) => ({ pk: `NAME#${name}`, sk: 'NAME' });
const versionKey = (moduleId: string, number: number) => ({
  pk: `MODULE#${moduleId}`,
  sk: `VERSION#${String(number).padStart(6, '0')}`,
});
const versionIdKey = (moduleId: string, versionId: string) => ({
  pk: `MODULE#${moduleId}`,
  sk: `VERSIONID#${versionId}`,
});
const usageKey = (moduleId: string, actionId: string) => ({
  pk: `MODULE#${moduleId}`,
  sk: `ACTION#${actionId}`,
});

type Item = Record<string, unknown>;
type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

export interface DynamoDbModuleStoreProps {
  readonly tableName: string;
  /** Attempts for a transaction that DynamoDB cancels because another one touched the same item. */
  readonly transactionAttempts?: number;
}

export class DynamoDbModuleStore implements ModuleStore {
  private readonly table: string;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly props: DynamoDbModuleStoreProps,
  ) {
    this.table = props.tableName;
  }

  public async listModules(window: Window): Promise<Page<ModuleRecord>> {
    const keys = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': MODULES_PK, ':prefix': 'MODULE#' },
      ProjectionExpression: 'pk, sk',
    });
    const wanted = keys.slice(window.offset, window.offset + window.limit);
    const items = await this.batchGet(wanted.map(({ pk, sk }) => ({ pk, sk })));
    const bySk = new Map(items.map((item) => [item.sk as string, item]));
    const modules = wanted
      .map(({ sk }) => bySk.get(sk as string))
      .filter((item): item is Item => item !== undefined)
      .map(toModule);
    return { items: modules, total: keys.length };
  }

  public async getModule(id: string): Promise<ModuleRecord | undefined> {
    const item = await this.get(moduleKey(id));
    return item ? toModule(item) : undefined;
  }

  public async createModule(module: ModuleRecord, maxModules: number): Promise<void> {
    const items: TransactItems = [
      {
        Put: {
          TableName: this.table,
          Item: { ...moduleKey(module.id), ...fromModule(module) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...nameKey(module.name), module_id: module.id, created_at: module.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: COUNTER_KEY,
          UpdateExpression: 'ADD module_count :one',
          ConditionExpression: 'attribute_not_exists(module_count) OR module_count < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': maxModules },
        },
      },
    ];
    const failed = await this.transact(items);
    if (failed.includes(1)) throw new ModuleNameTakenError(module.name);
    if (failed.includes(2)) throw new ModuleLimitError(maxModules);
    if (failed.length > 0) throw new Error(`Module id ${module.id} is already in use`);
  }

  public async acquireLease(
    id: string,
    leaseId: string,
    nowMs: number,
    untilMs: number,
  ): Promise<LeaseResult> {
    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: moduleKey(id),
          UpdateExpression: 'SET lock_id = :lease, lock_expires_at = :until',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(lock_id) OR lock_expires_at < :now)',
          ExpressionAttributeValues: { ':lease': leaseId, ':until': untilMs, ':now': nowMs },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true, module: toModule(output.Attributes as Item) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) return { acquired: false, missing: true };
      const old = unmarshall(error.Item);
      return { acquired: false, heldUntil: Number(old.lock_expires_at ?? 0) };
    }
  }

  public async saveDraft(id: string, leaseId: string, draft: DraftState): Promise<ModuleRecord> {
    const values: Item = {
      ':lease': leaseId,
      ':code': draft.code,
      ':dependencies': draft.dependencies.map(({ name, version }) => ({ name, version })),
      ':secrets': draft.secrets.map(({ name, updated_at }) => ({ name, updated_at })),
      ':fingerprint': draft.draftFingerprint,
      ':updatedAt': draft.updatedAt,
      ':one': 1,
    };
    const set = [
      'code = :code',
      'dependencies = :dependencies',
      'secrets = :secrets',
      'draft_fingerprint = :fingerprint',
      'updated_at = :updatedAt',
    ];
    const remove = ['lock_id', 'lock_expires_at'];
    if (draft.secretsSetId) {
      set.push('secrets_set_id = :setId');
      values[':setId'] = draft.secretsSetId;
    } else remove.push('secrets_set_id');
    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: moduleKey(id),
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')} ADD draft_revision :one`,
          ConditionExpression: 'lock_id = :lease',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toModule(output.Attributes as Item);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) throw new ModuleNotFoundError(id);
      throw new LeaseLostError(id);
    }
  }

  public async releaseLease(id: string, leaseId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: moduleKey(id),
          UpdateExpression: 'REMOVE lock_id, lock_expires_at',
          ConditionExpression: 'lock_id = :lease',
          ExpressionAttributeValues: { ':lease': leaseId },
        }),
      );
    } catch (error) {
      // Expired and taken by someone else, or the module is gone: nothing of ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  public async createVersion(version: VersionRecord, expected: VersionExpectation): Promise<void> {
    const values: Item = {
      ':number': version.versionNumber,
      ':versionId': version.id,
      ':fingerprint': version.fingerprint,
      ':revision': expected.draftRevision,
      ':count': expected.versionCount,
    };
    let update =
      'SET version_count = :number, latest_version_id = :versionId, latest_fingerprint = :fingerprint';
    let condition = 'attribute_exists(pk) AND draft_revision = :revision AND version_count = :count';
    if (expected.leaseId) {
      update += ' REMOVE lock_id, lock_expires_at';
      condition += ' AND lock_id = :lease';
      values[':lease'] = expected.leaseId;
    }
    if (version.secretsSetId) {
      update += ' ADD version_secret_sets :sets';
      values[':sets'] = new Set([version.secretsSetId]);
    }
    const items: TransactItems = [
      {
        Update: {
          TableName: this.table,
          Key: moduleKey(version.moduleId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...versionKey(version.moduleId, version.versionNumber), ...fromVersion(version) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...versionIdKey(version.moduleId, version.id), version_number: version.versionNumber },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    const failed = await this.transact(items);
    if (failed.length > 0) throw new VersionConflictError(version.moduleId);
  }

  public async getVersion(moduleId: string, versionId: string): Promise<VersionRecord | undefined> {
    const pointer = await this.get(versionIdKey(moduleId, versionId));
    if (!pointer) return undefined;
    const item = await this.get(versionKey(moduleId, Number(pointer.version_number)));
    return item ? toVersion(item) : undefined;
  }

  public async listVersions(
    moduleId: string,
    versionCount: number,
    window: Window,
  ): Promise<VersionRecord[]> {
    // Numbers are dense (1..versionCount), so a page is a key range, newest first.
    const highest = versionCount - window.offset;
    if (highest < 1 || window.limit < 1) return [];
    const lowest = Math.max(1, highest - window.limit + 1);
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: {
        ':pk': `MODULE#${moduleId}`,
        ':low': versionKey(moduleId, lowest).sk,
        ':high': versionKey(moduleId, highest).sk,
      },
      ScanIndexForward: false,
    });
    return items.map(toVersion);
  }

  public async deleteModule(id: string): Promise<void> {
    const module = await this.getModule(id);
    if (!module) throw new ModuleNotFoundError(id);
    const failed = await this.transact([
      {
        Delete: {
          TableName: this.table,
          Key: moduleKey(id),
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(actions_using_module_total) OR actions_using_module_total = :zero)',
          ExpressionAttributeValues: { ':zero': 0 },
        },
      },
      {
        Delete: {
          TableName: this.table,
          Key: nameKey(module.name),
          ConditionExpression: 'module_id = :id',
          ExpressionAttributeValues: { ':id': id },
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: COUNTER_KEY,
          UpdateExpression: 'ADD module_count :minusOne',
          ExpressionAttributeValues: { ':minusOne': -1 },
        },
      },
    ]);
    if (failed.length > 0) {
      const now = await this.getModule(id);
      if (!now) throw new ModuleNotFoundError(id);
      throw new ModuleInUseError(id, now.actionsUsingModuleTotal);
    }
    // The module item is gone, so nothing can add a version now: clear what hung off it.
    const leftovers = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `MODULE#${id}` },
      ProjectionExpression: 'pk, sk',
    });
    await this.batchDelete(leftovers.map(({ pk, sk }) => ({ pk, sk })));
  }

  public async putUsage(usage: ModuleUsage): Promise<void> {
    const item = { ...usageKey(usage.moduleId, usage.actionId), ...fromUsage(usage) };
    const versionExists: TransactItems[number] = {
      ConditionCheck: {
        TableName: this.table,
        Key: versionIdKey(usage.moduleId, usage.moduleVersionId),
        ConditionExpression: 'version_number = :number',
        ExpressionAttributeValues: { ':number': usage.moduleVersionNumber },
      },
    };
    const failed = await this.transact([
      { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: this.table,
          Key: moduleKey(usage.moduleId),
          UpdateExpression: 'ADD actions_using_module_total :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
        },
      },
      versionExists,
    ]);
    if (failed.includes(1)) throw new ModuleNotFoundError(usage.moduleId);
    if (failed.includes(2)) throw new VersionNotFoundError(usage.moduleId, usage.moduleVersionId);
    if (!failed.includes(0)) return;
    // The action already uses this module: it moves to another version, and the count stays.
    const moved = await this.transact([
      { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_exists(pk)' } },
      versionExists,
    ]);
    if (moved.includes(1)) throw new VersionNotFoundError(usage.moduleId, usage.moduleVersionId);
    if (moved.length > 0) throw new VersionConflictError(usage.moduleId);
  }

  public async removeUsage(moduleId: string, actionId: string): Promise<void> {
    await this.transact([
      {
        Delete: {
          TableName: this.table,
          Key: usageKey(moduleId, actionId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: moduleKey(moduleId),
          UpdateExpression: 'ADD actions_using_module_total :minusOne',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':minusOne': -1 },
        },
      },
    ]);
  }

  public async listUsage(moduleId: string, window: Window): Promise<Page<ModuleUsage>> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `MODULE#${moduleId}`, ':prefix': 'ACTION#' },
    });
    return {
      items: items.slice(window.offset, window.offset + window.limit).map(toUsage),
      total: items.length,
    };
  }

  /**
   * Runs a transaction. Returns the indexes of the items whose condition failed (empty on success); retries
   * when DynamoDB cancels it for a conflict with another transaction.
   */
  private async transact(items: TransactItems): Promise<number[]> {
    const attempts = this.props.transactionAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
        return [];
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
        const failed = codes.flatMap((code, index) => (code === 'ConditionalCheckFailed' ? [index] : []));
        if (failed.length > 0) return failed;
        const retryable = codes.some((code) => code === 'TransactionConflict' || code === 'ThrottlingError');
        if (!retryable || attempt >= attempts) throw error;
        await sleep(backoffDelayMs(attempt, 20, 500));
      }
    }
  }

  private async get(key: Item): Promise<Item | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
    );
    return output.Item;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const output = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.table,
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async batchGet(keys: Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Item[] = keys.slice(i, i + 100);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 6) throw new Error(`DynamoDB left ${pending.length} module reads unprocessed`);
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, 50, 1000));
        const output = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
        );
        found.push(...(output.Responses?.[this.table] ?? []));
        pending = (output.UnprocessedKeys?.[this.table]?.Keys ?? []) as Item[];
      }
    }
    return found;
  }

  private async batchDelete(keys: Item[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 6) throw new Error(`DynamoDB left ${pending.length} deletes unprocessed`);
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, 50, 1000));
        const output = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.table]: pending } }),
        );
        pending = (output.UnprocessedItems?.[this.table] ?? []) as typeof pending;
      }
    }
  }
}

function fromModule(module: ModuleRecord): Item {
  return {
    item_type: 'module',
    id: module.id,
    name: module.name,
    code: module.code,
    dependencies: module.dependencies.map(({ name, version }) => ({ name, version })),
    secrets: module.secrets.map(({ name, updated_at }) => ({ name, updated_at })),
    ...(module.secretsSetId ? { secrets_set_id: module.secretsSetId } : {}),
    draft_revision: module.draftRevision,
    draft_fingerprint: module.draftFingerprint,
    version_count: module.versionCount,
    ...(module.latestVersionId ? { latest_version_id: module.latestVersionId } : {}),
    ...(module.latestFingerprint ? { latest_fingerprint: module.latestFingerprint } : {}),
    ...(module.versionSecretSets.length > 0
      ? { version_secret_sets: new Set(module.versionSecretSets) }
      : {}),
    actions_using_module_total: module.actionsUsingModuleTotal,
    ...(module.apiVersion ? { api_version: module.apiVersion } : {}),
    created_at: module.createdAt,
    updated_at: module.updatedAt,
  };
}

function toModule(item: Item): ModuleRecord {
  return {
    id: item.id as string,
    name: item.name as string,
    code: (item.code as string | undefined) ?? '',
    dependencies: toDependencies(item.dependencies),
    secrets: toSecrets(item.secrets),
    ...(item.secrets_set_id ? { secretsSetId: item.secrets_set_id as string } : {}),
    draftRevision: Number(item.draft_revision ?? 0),
    draftFingerprint: item.draft_fingerprint as string,
    versionCount: Number(item.version_count ?? 0),
    ...(item.latest_version_id ? { latestVersionId: item.latest_version_id as string } : {}),
    ...(item.latest_fingerprint ? { latestFingerprint: item.latest_fingerprint as string } : {}),
    versionSecretSets: [...((item.version_secret_sets as Set<string> | undefined) ?? [])],
    actionsUsingModuleTotal: Number(item.actions_using_module_total ?? 0),
    ...(item.api_version ? { apiVersion: item.api_version as string } : {}),
    createdAt: item.created_at as string,
    updatedAt: item.updated_at as string,
  };
}

function fromVersion(version: VersionRecord): Item {
  return {
    item_type: 'version',
    id: version.id,
    module_id: version.moduleId,
    version_number: version.versionNumber,
    code: version.code,
    dependencies: version.dependencies.map(({ name, version: exact }) => ({ name, version: exact })),
    secrets: version.secrets.map(({ name, updated_at }) => ({ name, updated_at })),
    ...(version.secretsSetId ? { secrets_set_id: version.secretsSetId } : {}),
    fingerprint: version.fingerprint,
    artifact: { ...version.artifact },
    created_at: version.createdAt,
  };
}

function toVersion(item: Item): VersionRecord {
  return {
    id: item.id as string,
    moduleId: item.module_id as string,
    versionNumber: Number(item.version_number),
    code: (item.code as string | undefined) ?? '',
    dependencies: toDependencies(item.dependencies),
    secrets: toSecrets(item.secrets),
    ...(item.secrets_set_id ? { secretsSetId: item.secrets_set_id as string } : {}),
    fingerprint: item.fingerprint as string,
    artifact: item.artifact as ArtifactRef,
    createdAt: item.created_at as string,
  };
}

function fromUsage(usage: ModuleUsage): Item {
  return {
    item_type: 'usage',
    module_id: usage.moduleId,
    action_id: usage.actionId,
    action_name: usage.actionName,
    module_version_id: usage.moduleVersionId,
    module_version_number: usage.moduleVersionNumber,
    supported_triggers: usage.supportedTriggers.map((trigger) => ({ ...trigger })),
  };
}

function toUsage(item: Item): ModuleUsage {
  return {
    moduleId: item.module_id as string,
    actionId: item.action_id as string,
    actionName: item.action_name as string,
    moduleVersionId: item.module_version_id as string,
    moduleVersionNumber: Number(item.module_version_number),
    supportedTriggers: (item.supported_triggers as Record<string, unknown>[] | undefined) ?? [],
  };
}

function toDependencies(value: unknown): Dependency[] {
  return ((value as Dependency[] | undefined) ?? []).map(({ name, version }) => ({ name, version }));
}

function toSecrets(value: unknown): SecretInfo[] {
  return ((value as SecretInfo[] | undefined) ?? []).map(({ name, updated_at }) => ({ name, updated_at }));
}
