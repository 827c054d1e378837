/**
 * DynamoDB storage for the lifecycle, whatever it keeps: a record item holding the draft, its counters and
 * its draft lock, and immutable version items beside it. A kind says where its items live and how they map.
 */
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
import { backoffDelayMs, sleep } from '../shared/concurrency';
import { LeaseLostError, type RegistryError, VersionConflictError } from './errors';
import type {
  ArtifactRef,
  Dependency,
  DraftState,
  EntityRecord,
  EntityVersion,
  SecretInfo,
  Window,
} from './model';
import type { EntityStore, LeaseResult, VersionExpectation } from './ports';

/** The table's key schema: string partition key `pk` and string sort key `sk`, nothing else. */
export const ENTITY_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

export type Item = Record<string, unknown>;
export type Key = { readonly pk: string; readonly sk: string };
export type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * Where one kind's items live: `<listPk>` / `<KIND>#<id>` for records (all in one partition: at most a
 * hundred, listed in id order, which is creation order); `<KIND>#<id>` / `VERSION#<000001>` for versions and
 * `<KIND>#<id>` / `VERSIONID#<versionId>` to find one by id.
 */
export interface EntityLayout<S, R extends EntityRecord<S>, V extends EntityVersion<S>> {
  /** `MODULE`, `ACTION`. */
  readonly prefix: string;
  /** The partition of the records: `MODULES`, `ACTIONS`. */
  readonly listPk: string;
  notFound(id: string): RegistryError;
  /** The kind's own record fields (beyond the lifecycle's), to write and to read. */
  recordExtras(record: R): Item;
  toRecord(base: EntityRecord<S>, item: Item): R;
  versionExtras(version: V): Item;
  toVersion(base: EntityVersion<S>, item: Item): V;
}

export interface DynamoDbEntityStoreProps {
  readonly tableName: string;
  /** Attempts for a transaction that DynamoDB cancels because another one touched the same item. */
  readonly transactionAttempts?: number;
}

export class DynamoDbEntityStore<S, R extends EntityRecord<S>, V extends EntityVersion<S>>
  implements EntityStore<S, R, V>
{
  protected readonly table: string;

  public constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly props: DynamoDbEntityStoreProps,
    protected readonly layout: EntityLayout<S, R, V>,
  ) {
    this.table = props.tableName;
  }

  public recordKey(id: string): Key {
    return { pk: this.layout.listPk, sk: `${this.layout.prefix}#${id}` };
  }

  public ownerPk(id: string): string {
    return `${this.layout.prefix}#${id}`;
  }

  public versionKey(ownerId: string, number: number): Key {
    return { pk: this.ownerPk(ownerId), sk: `VERSION#${String(number).padStart(6, '0')}` };
  }

  public versionIdKey(ownerId: string, versionId: string): Key {
    return { pk: this.ownerPk(ownerId), sk: `VERSIONID#${versionId}` };
  }

  public async get(id: string): Promise<R | undefined> {
    const item = await this.getItem(this.recordKey(id));
    return item ? this.toRecord(item) : undefined;
  }

  /** Every record, in id order, with their total. */
  public async list(window: Window): Promise<{ items: R[]; total: number }> {
    const keys = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': this.layout.listPk, ':prefix': `${this.layout.prefix}#` },
      ProjectionExpression: 'pk, sk',
    });
    const wanted = keys.slice(window.offset, window.offset + window.limit);
    const items = await this.batchGet(wanted.map(({ pk, sk }) => ({ pk, sk })));
    const bySk = new Map(items.map((item) => [item.sk as string, item]));
    const records = wanted
      .map(({ sk }) => bySk.get(sk as string))
      .filter((item): item is Item => item !== undefined)
      .map((item) => this.toRecord(item));
    return { items: records, total: keys.length };
  }

  public async acquireLease(
    id: string,
    leaseId: string,
    nowMs: number,
    untilMs: number,
  ): Promise<LeaseResult<R>> {
    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.recordKey(id),
          UpdateExpression: 'SET lock_id = :lease, lock_expires_at = :until',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(lock_id) OR lock_expires_at < :now)',
          ExpressionAttributeValues: { ':lease': leaseId, ':until': untilMs, ':now': nowMs },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true, record: this.toRecord(output.Attributes as Item) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) return { acquired: false, missing: true };
      const old = unmarshall(error.Item);
      return { acquired: false, heldUntil: Number(old.lock_expires_at ?? 0) };
    }
  }

  public async saveDraft(id: string, leaseId: string, draft: DraftState<S>): Promise<R> {
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
    if (draft.spec !== undefined) {
      set.push('spec = :spec');
      values[':spec'] = draft.spec;
    } else remove.push('spec');
    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.recordKey(id),
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')} ADD draft_revision :one`,
          ConditionExpression: 'lock_id = :lease',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return this.toRecord(output.Attributes as Item);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) throw this.layout.notFound(id);
      throw new LeaseLostError(id);
    }
  }

  public async releaseLease(id: string, leaseId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.recordKey(id),
          UpdateExpression: 'REMOVE lock_id, lock_expires_at',
          ConditionExpression: 'lock_id = :lease',
          ExpressionAttributeValues: { ':lease': leaseId },
        }),
      );
    } catch (error) {
      // Expired and taken by someone else, or the record is gone: nothing of ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  public async createVersion(version: V, expected: VersionExpectation): Promise<void> {
    const failed = await this.transact(this.versionWrites(version, expected));
    if (failed.length > 0) throw new VersionConflictError(version.ownerId);
  }

  /**
   * The writes that add a version: the counter moves on only from what was read, the version and its id
   * pointer are new. A kind may add its own writes to the same transaction.
   */
  protected versionWrites(version: V, expected: VersionExpectation): TransactItems {
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
    return [
      {
        Update: {
          TableName: this.table,
          Key: this.recordKey(version.ownerId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...this.versionKey(version.ownerId, version.versionNumber), ...this.fromVersion(version) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...this.versionIdKey(version.ownerId, version.id), version_number: version.versionNumber },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  public async getVersion(ownerId: string, versionId: string): Promise<V | undefined> {
    const pointer = await this.getItem(this.versionIdKey(ownerId, versionId));
    if (!pointer) return undefined;
    const item = await this.getItem(this.versionKey(ownerId, Number(pointer.version_number)));
    return item ? this.toVersion(item) : undefined;
  }

  public async listVersions(ownerId: string, versionCount: number, window: Window): Promise<V[]> {
    // Numbers are dense (1..versionCount), so a page is a key range, newest first.
    const highest = versionCount - window.offset;
    if (highest < 1 || window.limit < 1) return [];
    const lowest = Math.max(1, highest - window.limit + 1);
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: {
        ':pk': this.ownerPk(ownerId),
        ':low': this.versionKey(ownerId, lowest).sk,
        ':high': this.versionKey(ownerId, highest).sk,
      },
      ScanIndexForward: false,
    });
    return items.map((item) => this.toVersion(item));
  }

  /** Deletes every item under the owner's partition (versions and whatever a kind keeps there). */
  protected async deleteOwnerItems(id: string): Promise<void> {
    const leftovers = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': this.ownerPk(id) },
      ProjectionExpression: 'pk, sk',
    });
    await this.batchDelete(leftovers.map(({ pk, sk }) => ({ pk, sk })));
  }

  public fromRecord(record: R): Item {
    return {
      item_type: this.layout.prefix.toLowerCase(),
      id: record.id,
      name: record.name,
      code: record.code,
      dependencies: record.dependencies.map(({ name, version }) => ({ name, version })),
      secrets: record.secrets.map(({ name, updated_at }) => ({ name, updated_at })),
      ...(record.secretsSetId ? { secrets_set_id: record.secretsSetId } : {}),
      ...(record.spec === undefined ? {} : { spec: record.spec }),
      draft_revision: record.draftRevision,
      draft_fingerprint: record.draftFingerprint,
      version_count: record.versionCount,
      ...(record.latestVersionId ? { latest_version_id: record.latestVersionId } : {}),
      ...(record.latestFingerprint ? { latest_fingerprint: record.latestFingerprint } : {}),
      ...(record.versionSecretSets.length > 0
        ? { version_secret_sets: new Set(record.versionSecretSets) }
        : {}),
      ...this.layout.recordExtras(record),
      created_at: record.createdAt,
      updated_at: record.updatedAt,
    };
  }

  public toRecord(item: Item): R {
    const base: EntityRecord<S> = {
      id: item.id as string,
      name: item.name as string,
      code: (item.code as string | undefined) ?? '',
      dependencies: toDependencies(item.dependencies),
      secrets: toSecrets(item.secrets),
      ...(item.secrets_set_id ? { secretsSetId: item.secrets_set_id as string } : {}),
      ...(item.spec === undefined ? {} : { spec: item.spec as S }),
      draftRevision: Number(item.draft_revision ?? 0),
      draftFingerprint: item.draft_fingerprint as string,
      versionCount: Number(item.version_count ?? 0),
      ...(item.latest_version_id ? { latestVersionId: item.latest_version_id as string } : {}),
      ...(item.latest_fingerprint ? { latestFingerprint: item.latest_fingerprint as string } : {}),
      versionSecretSets: [...((item.version_secret_sets as Set<string> | undefined) ?? [])],
      createdAt: item.created_at as string,
      updatedAt: item.updated_at as string,
    };
    return this.layout.toRecord(base, item);
  }

  private fromVersion(version: V): Item {
    return {
      item_type: 'version',
      id: version.id,
      owner_id: version.ownerId,
      version_number: version.versionNumber,
      code: version.code,
      dependencies: version.dependencies.map(({ name, version: exact }) => ({ name, version: exact })),
      secrets: version.secrets.map(({ name, updated_at }) => ({ name, updated_at })),
      ...(version.secretsSetId ? { secrets_set_id: version.secretsSetId } : {}),
      ...(version.spec === undefined ? {} : { spec: version.spec }),
      fingerprint: version.fingerprint,
      artifact: { ...version.artifact },
      ...this.layout.versionExtras(version),
      created_at: version.createdAt,
    };
  }

  private toVersion(item: Item): V {
    const base: EntityVersion<S> = {
      id: item.id as string,
      ownerId: (item.owner_id ?? item.module_id) as string,
      versionNumber: Number(item.version_number),
      code: (item.code as string | undefined) ?? '',
      dependencies: toDependencies(item.dependencies),
      secrets: toSecrets(item.secrets),
      ...(item.secrets_set_id ? { secretsSetId: item.secrets_set_id as string } : {}),
      ...(item.spec === undefined ? {} : { spec: item.spec as S }),
      fingerprint: item.fingerprint as string,
      artifact: item.artifact as ArtifactRef,
      createdAt: item.created_at as string,
    };
    return this.layout.toVersion(base, item);
  }

  /**
   * Runs a transaction. Returns the indexes of the items whose condition failed (empty on success); retries
   * when DynamoDB cancels it for a conflict with another transaction.
   */
  protected async transact(items: TransactItems): Promise<number[]> {
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

  protected async getItem(key: Key): Promise<Item | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
    );
    return output.Item;
  }

  protected async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
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
        if (attempt > 6) throw new Error(`DynamoDB left ${pending.length} reads unprocessed`);
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

function toDependencies(value: unknown): Dependency[] {
  return ((value as Dependency[] | undefined) ?? []).map(({ name, version }) => ({ name, version }));
}

function toSecrets(value: unknown): SecretInfo[] {
  return ((value as SecretInfo[] | undefined) ?? []).map(({ name, updated_at }) => ({ name, updated_at }));
}
