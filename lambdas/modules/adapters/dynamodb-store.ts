import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DynamoDbEntityStore,
  type DynamoDbEntityStoreProps,
  ENTITY_TABLE_KEYS,
  type Item,
  type TransactItems,
} from '../../lifecycle/dynamodb-entities';
import {
  ModuleInUseError,
  ModuleLimitError,
  ModuleNameTakenError,
  ModuleNotFoundError,
  VersionConflictError,
  VersionNotFoundError,
} from '../errors';
import type { ModuleRecord, ModuleUsage, Page, VersionRecord, Window } from '../model';
import type { ModuleStore } from '../ports';

/** The table's key schema: string partition key `pk` and string sort key `sk`, nothing else. */
export const MODULES_TABLE_KEYS = ENTITY_TABLE_KEYS;

/**
 * One table, these items (the lifecycle's layout, `lambdas/lifecycle/dynamodb-entities.ts`, plus the
 * modules' own):
 * - `MODULES` / `MODULE#<id>`: a module with its draft, counters and draft lock;
 * - `NAME#<name>` / `NAME`: the name is taken (uniqueness);
 * - `TENANT` / `MODULE_COUNT`: how many modules exist (the 100-module limit);
 * - `MODULE#<id>` / `VERSION#<000001>`: a published version, immutable;
 * - `MODULE#<id>` / `VERSIONID#<versionId>`: finds a version by id;
 * - `MODULE#<id>` / `ACTION#<actionId>`: an action uses this module (written by the actions registry).
 */
const COUNTER_KEY = { pk: 'TENANT', sk: 'MODULE_COUNT' };
const nameKey = (name: string) => ({ pk: `NAME#${name}`, sk: 'NAME' });

export type DynamoDbModuleStoreProps = DynamoDbEntityStoreProps;

export class DynamoDbModuleStore
  extends DynamoDbEntityStore<undefined, ModuleRecord, VersionRecord>
  implements ModuleStore
{
  public constructor(client: DynamoDBDocumentClient, props: DynamoDbModuleStoreProps) {
    super(client, props, {
      prefix: 'MODULE',
      listPk: 'MODULES',
      notFound: (id) => new ModuleNotFoundError(id),
      recordExtras: (module) => ({
        actions_using_module_total: module.actionsUsingModuleTotal,
        ...(module.apiVersion ? { api_version: module.apiVersion } : {}),
      }),
      toRecord: (base, item) => ({
        ...base,
        actionsUsingModuleTotal: Number(item.actions_using_module_total ?? 0),
        ...(item.api_version ? { apiVersion: item.api_version as string } : {}),
      }),
      versionExtras: (version) => ({ module_id: version.moduleId }),
      toVersion: (base) => ({ ...base, moduleId: base.ownerId }),
    });
  }

  public listModules(window: Window): Promise<Page<ModuleRecord>> {
    return this.list(window);
  }

  public async createModule(module: ModuleRecord, maxModules: number): Promise<void> {
    const items: TransactItems = [
      {
        Put: {
          TableName: this.table,
          Item: { ...this.recordKey(module.id), ...this.fromRecord(module) },
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

  public async deleteModule(id: string): Promise<void> {
    const module = await this.get(id);
    if (!module) throw new ModuleNotFoundError(id);
    const failed = await this.transact([
      {
        Delete: {
          TableName: this.table,
          Key: this.recordKey(id),
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
      const now = await this.get(id);
      if (!now) throw new ModuleNotFoundError(id);
      throw new ModuleInUseError(id, now.actionsUsingModuleTotal);
    }
    // The module item is gone, so nothing can add a version now: clear what hung off it.
    await this.deleteOwnerItems(id);
  }

  public async putUsage(usage: ModuleUsage): Promise<void> {
    const item = { ...this.usageKey(usage.moduleId, usage.actionId), ...fromUsage(usage) };
    const versionExists: TransactItems[number] = {
      ConditionCheck: {
        TableName: this.table,
        Key: this.versionIdKey(usage.moduleId, usage.moduleVersionId),
        ConditionExpression: 'version_number = :number',
        ExpressionAttributeValues: { ':number': usage.moduleVersionNumber },
      },
    };
    const failed = await this.transact([
      { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Update: {
          TableName: this.table,
          Key: this.recordKey(usage.moduleId),
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
          Key: this.usageKey(moduleId, actionId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: this.recordKey(moduleId),
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
      ExpressionAttributeValues: { ':pk': this.ownerPk(moduleId), ':prefix': 'ACTION#' },
    });
    return {
      items: items.slice(window.offset, window.offset + window.limit).map(toUsage),
      total: items.length,
    };
  }

  private usageKey(moduleId: string, actionId: string) {
    return { pk: this.ownerPk(moduleId), sk: `ACTION#${actionId}` };
  }
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
