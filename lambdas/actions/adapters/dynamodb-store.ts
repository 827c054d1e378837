import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoDbEntityStore,
  type DynamoDbEntityStoreProps,
  type Item,
  type TransactItems,
} from '../../lifecycle/dynamodb-entities';
import { DynamoDbLeases } from '../../shared/dynamodb-leases';
import type { TriggerId } from '../bindings/triggers';
import { ActionLimitError, ActionNameTakenError, ActionNotFoundError } from '../errors';
import type { ActionRecord, ActionSpec, ActionVersionRecord, BindingRecord, Page, Window } from '../model';
import type { ActionStore } from '../ports';

/**
 * Actions live in the registry's table beside the modules (the lifecycle's layout,
 * `lambdas/lifecycle/dynamodb-entities.ts`, plus the actions' own):
 * - `ACTIONS` / `ACTION#<id>`: an action with its draft, counters, draft lock and deployed version;
 * - `ACTIONNAME#<name>` / `NAME`: the name is taken; `TENANT` / `ACTION_COUNT`: the 100-action limit;
 * - `ACTION#<id>` / `VERSION#<000001>` and `VERSIONID#<id>`: its versions;
 * - `TRIGGER#<id>` / `BINDINGS`: a trigger's bindings, in run order;
 * - `LOCK#rules` / `LOCK`: the lock on the binding rules (a claim, `lambdas/shared/dynamodb-leases.ts`).
 */
const COUNTER_KEY = { pk: 'TENANT', sk: 'ACTION_COUNT' };
const nameKey = (name: string) => ({ pk: `ACTIONNAME#${name}`, sk: 'NAME' });
const bindingsKey = (triggerId: string) => ({ pk: `TRIGGER#${triggerId}`, sk: 'BINDINGS' });

export class DynamoDbActionStore
  extends DynamoDbEntityStore<ActionSpec, ActionRecord, ActionVersionRecord>
  implements ActionStore
{
  private readonly locks: DynamoDbLeases<'never'>;

  public constructor(client: DynamoDBDocumentClient, props: DynamoDbEntityStoreProps) {
    super(client, props, {
      prefix: 'ACTION',
      listPk: 'ACTIONS',
      notFound: (id) => new ActionNotFoundError(id),
      recordExtras: (action) => ({
        ...(action.deployedVersionId
          ? {
              deployed_version_id: action.deployedVersionId,
              deployed_version_number: action.deployedVersionNumber,
            }
          : {}),
      }),
      toRecord: (base, item) => ({
        ...base,
        ...(item.deployed_version_id
          ? {
              deployedVersionId: item.deployed_version_id as string,
              deployedVersionNumber: Number(item.deployed_version_number),
            }
          : {}),
      }),
      versionExtras: (version) => ({
        action_id: version.actionId,
        module_secret_sets: version.moduleSecretSets.map((set) => ({ ...set })),
      }),
      toVersion: (base, item) => ({
        ...base,
        actionId: base.ownerId,
        moduleSecretSets:
          (item.module_secret_sets as ActionVersionRecord['moduleSecretSets'] | undefined) ?? [],
      }),
    });
    this.locks = new DynamoDbLeases(
      client,
      { tableName: props.tableName, ttlSeconds: 3600, leaseSeconds: 60 },
      { keyAttribute: 'pk', keyOf: (id) => ({ pk: `LOCK#${id}`, sk: 'LOCK' }) },
    );
  }

  public listActions(window: Window): Promise<Page<ActionRecord>> {
    return this.list(window);
  }

  public async createAction(action: ActionRecord, maxActions: number): Promise<void> {
    const items: TransactItems = [
      {
        Put: {
          TableName: this.table,
          Item: { ...this.recordKey(action.id), ...this.fromRecord(action) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...nameKey(action.name), action_id: action.id, created_at: action.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: COUNTER_KEY,
          UpdateExpression: 'ADD action_count :one',
          ConditionExpression: 'attribute_not_exists(action_count) OR action_count < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': maxActions },
        },
      },
    ];
    const failed = await this.transact(items);
    if (failed.includes(1)) throw new ActionNameTakenError(action.name);
    if (failed.includes(2)) throw new ActionLimitError(maxActions);
    if (failed.length > 0) throw new Error(`Action id ${action.id} is already in use`);
  }

  public async deleteAction(id: string): Promise<void> {
    const action = await this.get(id);
    if (!action) throw new ActionNotFoundError(id);
    const failed = await this.transact([
      {
        Delete: {
          TableName: this.table,
          Key: this.recordKey(id),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Delete: {
          TableName: this.table,
          Key: nameKey(action.name),
          ConditionExpression: 'action_id = :id',
          ExpressionAttributeValues: { ':id': id },
        },
      },
      {
        Update: {
          TableName: this.table,
          Key: COUNTER_KEY,
          UpdateExpression: 'ADD action_count :minusOne',
          ExpressionAttributeValues: { ':minusOne': -1 },
        },
      },
    ]);
    if (failed.length > 0) throw new ActionNotFoundError(id);
    await this.deleteOwnerItems(id);
  }

  public async markDeployed(id: string, versionId: string, versionNumber: number): Promise<ActionRecord> {
    const failed = await this.transact([
      {
        Update: {
          TableName: this.table,
          Key: this.recordKey(id),
          UpdateExpression: 'SET deployed_version_id = :version, deployed_version_number = :number',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':version': versionId, ':number': versionNumber },
        },
      },
      {
        ConditionCheck: {
          TableName: this.table,
          Key: this.versionIdKey(id, versionId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
    ]);
    if (failed.length > 0) throw new ActionNotFoundError(id);
    return (await this.get(id)) as ActionRecord;
  }

  public async getBindings(triggerId: TriggerId): Promise<readonly BindingRecord[]> {
    const item = await this.getItem(bindingsKey(triggerId));
    return ((item?.bindings as Item[] | undefined) ?? []).map(toBinding);
  }

  public async putBindings(triggerId: TriggerId, bindings: readonly BindingRecord[]): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...bindingsKey(triggerId), item_type: 'bindings', bindings: bindings.map(fromBinding) },
      }),
    );
  }

  public async lockRules(leaseId: string): Promise<boolean> {
    return (await this.locks.claim('rules', leaseId)) === 'claimed';
  }

  public async unlockRules(leaseId: string): Promise<void> {
    await this.locks.release(['rules'], leaseId);
  }
}

function fromBinding(binding: BindingRecord): Item {
  return {
    id: binding.id,
    trigger_id: binding.triggerId,
    action_id: binding.actionId,
    action_name: binding.actionName,
    display_name: binding.displayName,
    ...(binding.match ? { match: { ...binding.match } } : {}),
    created_at: binding.createdAt,
    updated_at: binding.updatedAt,
  };
}

function toBinding(item: Item): BindingRecord {
  return {
    id: item.id as string,
    triggerId: item.trigger_id as TriggerId,
    actionId: item.action_id as string,
    actionName: item.action_name as string,
    displayName: item.display_name as string,
    ...(item.match ? { match: item.match as BindingRecord['match'] } : {}),
    createdAt: item.created_at as string,
    updatedAt: item.updated_at as string,
  };
}
