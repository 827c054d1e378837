/**
 * The one claim pattern of this project, for anything that must happen once: an ingest publishing a log_id,
 * an action version running on an event, the lock on the binding rules. A claim is a short lease written with
 * a conditional write; only the holder acts; the outcome is written once it is certain (and remembered until
 * the item's TTL), and a failed attempt gives the lease back so a retry can act at once. A crash in between
 * lets the lease lapse: the next attempt acts again (at least once, never lost). The rules themselves, without
 * I/O, are in `leases.ts`.
 *
 * Item: `{<key>, status: 'pending' | <final>, lease_id, lease_expires_at, expires_at}`; `expires_at` is the
 * table's TTL attribute, and an item past it counts as absent even before DynamoDB deletes it.
 *
 * Many ids at once (an ingest delivery): the fresh claims go 25 to a request as PartiQL `INSERT`s, each a
 * conditional put of its own (one write unit, where a transaction would cost two), and only the ids that
 * already had an item are read and decided one by one. With `outcomeKeyOf`, the outcome of a lease is
 * written once, as one record listing its ids, rather than once per id: one write per record in all instead of
 * two (see `leases.ts` for why that keeps exactly once and no loss).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchExecuteStatementCommand,
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { backoffDelayMs, mapWithConcurrency, sleep } from './concurrency';
import {
  decideClaim,
  expiresAt,
  type LeaseItem,
  type LeaseOutcome,
  outcomeAttribute,
  PENDING,
  pendingItem,
  splitForOutcome,
  type Take,
} from './leases';

export interface DynamoDbLeasesProps {
  readonly tableName: string;
  /** How long an outcome is remembered. */
  readonly ttlSeconds: number;
  /** How long a claim blocks other attempts; longer than one attempt can run. */
  readonly leaseSeconds: number;
  readonly now?: () => number;
}

/** The table key of a claimed id, e.g. `{log_id}` or `{pk, sk}`; `keyAttribute` is its partition key. */
export interface LeaseKeys {
  readonly keyAttribute: string;
  readonly keyOf: (id: string) => Record<string, string>;
  /**
   * Where a lease records its outcome for all its ids at once, in the same table. Its key must be one no id
   * can have. @default none: each id's own item receives its outcome
   */
  readonly outcomeKeyOf?: (leaseId: string) => Record<string, string>;
}

/** What a claim found: `claimed` lets the caller act; an Error is a claim that could not be made. */
export type ClaimResult<Final extends string> = 'claimed' | 'in-flight' | Final | Error;

/** PartiQL statements per BatchExecuteStatement, DynamoDB's limit. */
const STATEMENTS_PER_BATCH = 25;

/**
 * What DynamoDB answers when a table is over its capacity (provisioned, or an on-demand table's own limits), for
 * a statement (`ProvisionedThroughputExceeded`, `ThrottlingError`, `RequestLimitExceeded`) or a whole request
 * (`…Exception`). Such an id is not read and taken one by one, which would only add reads and writes to a
 * table that is already refusing them: its claim fails at once, so the delivery is answered 503 and sent again.
 */
const THROTTLED = /^(ProvisionedThroughputExceeded|Throttling|RequestLimitExceeded)/;

function throttled(code: string): Error {
  return Object.assign(new Error(`DynamoDB throttled the claim (${code}); deliver it again later`), {
    name: 'ThrottlingException',
  });
}
/** Keys per BatchGetItem, DynamoDB's limit. */
const KEYS_PER_READ = 100;
/** Bytes of ids one outcome record lists; the rest are finished on their own items (items stop at 400 KB). */
const OUTCOME_MAX_ID_BYTES = 64 * 1024;
/** Rounds of read-decide-write for contested ids; a claimer still losing after them answers `in-flight`. */
const MAX_ROUNDS = 3;
const MAX_ATTEMPTS = 5;

export class DynamoDbLeases<Final extends string> {
  private readonly now: () => number;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly props: DynamoDbLeasesProps,
    private readonly keys: LeaseKeys,
  ) {
    this.now = props.now ?? Date.now;
  }

  /** `claimed` lets the caller act; `in-flight` means another holds an unexpired lease; else the outcome. */
  public async claim(id: string, leaseId: string): Promise<'claimed' | 'in-flight' | Final> {
    const [result] = await this.claimAll([id], leaseId);
    if (result instanceof Error) throw result;
    return result as 'claimed' | 'in-flight' | Final;
  }

  /**
   * Claims distinct ids at once, answering in their order. One id's failure (a key DynamoDB refuses, say) is
   * that id's Error and never fails the others.
   */
  public async claimAll(ids: readonly string[], leaseId: string): Promise<ClaimResult<Final>[]> {
    if (ids.length === 0) return [];
    const nowMs = this.now();
    const results = new Map<string, ClaimResult<Final>>();
    // Items known before deciding: `undefined` is a known absence. A single id is first assumed absent (one
    // conditional put, as ever); many ids are inserted in batches, and only those that collide are read.
    const known = new Map<string, LeaseItem | undefined>();
    let contested: string[];
    if (ids.length === 1) {
      contested = [...ids];
      known.set(ids[0] as string, undefined);
    } else {
      contested = await this.insertAll(ids, leaseId, nowMs, results);
    }
    await this.resolve(contested, leaseId, nowMs, known, results);
    return ids.map((id) => results.get(id) ?? 'in-flight');
  }

  /**
   * Writes the outcome. Unconditional: only the holder of a claim gets here, and the outcome is final. With
   * `leaseId` and an outcome record for the table, one write records the lease's ids.
   */
  public async finish(ids: readonly string[], status: Final, leaseId?: string): Promise<void> {
    if (ids.length === 0) return;
    const nowMs = this.now();
    let own: readonly string[] = ids;
    if (this.keys.outcomeKeyOf && leaseId !== undefined) {
      const [recorded, rest] = splitForOutcome(ids, OUTCOME_MAX_ID_BYTES);
      own = rest;
      try {
        if (recorded.length > 0) await this.recordOutcome(leaseId, recorded, status, nowMs);
      } catch (error) {
        // The record would pass DynamoDB's item size limit: write every outcome on its own item instead.
        if ((error as Error)?.name !== 'ValidationException') throw error;
        own = ids;
      }
    }
    await this.writeFinal(own, status, nowMs);
  }

  /**
   * Lists `ids` on the lease's outcome record: a put for the first outcome of a lease (the common case, and a
   * lighter request than an update), an update that adds to the lists when the lease recorded one before.
   */
  private async recordOutcome(leaseId: string, ids: readonly string[], status: Final, nowMs: number) {
    const key = (this.keys.outcomeKeyOf as (leaseId: string) => Record<string, string>)(leaseId);
    const expires = expiresAt(nowMs, this.props.ttlSeconds);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: { ...key, [outcomeAttribute(status)]: new Set(ids), expires_at: expires },
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': this.keys.keyAttribute },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.client.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: key,
          UpdateExpression: 'ADD #ids :ids SET expires_at = :expires',
          ExpressionAttributeNames: { '#ids': outcomeAttribute(status) },
          ExpressionAttributeValues: { ':ids': new Set(ids), ':expires': expires },
        }),
      );
    }
  }

  /** Gives up leases that did not lead anywhere, so a retry can act at once. */
  public async release(ids: readonly string[], leaseId: string): Promise<void> {
    await mapWithConcurrency(ids, 8, async (id) => {
      try {
        await this.client.send(
          new DeleteCommand({
            TableName: this.props.tableName,
            Key: this.keys.keyOf(id),
            ConditionExpression: '#status = :pending AND lease_id = :lease',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': PENDING, ':lease': leaseId },
          }),
        );
      } catch (error) {
        // Someone else holds or finished it now: nothing of ours to release.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
  }

  /**
   * Fresh claims, 25 to a request: each `INSERT` succeeds only where the id has no item at all. Answers the
   * ids that did not go in (an item exists, or DynamoDB refused the statement or the request): those are
   * read and decided one by one, which also isolates an id DynamoDB refuses.
   */
  private async insertAll(
    ids: readonly string[],
    leaseId: string,
    nowMs: number,
    results: Map<string, ClaimResult<Final>>,
  ): Promise<string[]> {
    const item = pendingItem(leaseId, nowMs, this.props);
    const names = [...Object.keys(this.keys.keyOf(ids[0] as string)), ...Object.keys(item)];
    const statement = `INSERT INTO "${this.props.tableName}" VALUE {${names.map((name) => `'${name}': ?`).join(', ')}}`;
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += STATEMENTS_PER_BATCH) {
      chunks.push(ids.slice(i, i + STATEMENTS_PER_BATCH));
    }
    const contested: string[] = [];
    await mapWithConcurrency(chunks, 4, async (chunk) => {
      try {
        const output = await this.client.send(
          new BatchExecuteStatementCommand({
            Statements: chunk.map((id) => ({
              Statement: statement,
              Parameters: Object.values({ ...this.keys.keyOf(id), ...item }),
            })),
          }),
        );
        chunk.forEach((id, index) => {
          const response = output.Responses?.[index];
          const code = response?.Error?.Code;
          if (response && !response.Error) results.set(id, 'claimed');
          else if (code !== undefined && THROTTLED.test(code)) results.set(id, throttled(code));
          else contested.push(id);
        });
      } catch (error) {
        // Throttled even after the SDK's retries: reading and writing each id would only add load.
        const name = (error as { name?: unknown })?.name;
        if (typeof name === 'string' && THROTTLED.test(name)) {
          for (const id of chunk) results.set(id, throttled(name));
          return;
        }
        // The request as a whole failed (or this emulator cannot run it): each id is claimed on its own.
        contested.push(...chunk);
      }
    });
    return contested;
  }

  /** Reads, decides and takes contested ids, in rounds, until each has an answer. */
  private async resolve(
    ids: readonly string[],
    leaseId: string,
    nowMs: number,
    known: Map<string, LeaseItem | undefined>,
    results: Map<string, ClaimResult<Final>>,
  ): Promise<void> {
    const outcomes = new Map<string, LeaseOutcome | null>();
    let pending = [...ids];
    for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
      const unknown = pending.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        await this.readInto(unknown, known, results);
        pending = pending.filter((id) => known.has(id));
      }

      const decide = (id: string) =>
        decideClaim<Final>(known.get(id), {
          id,
          leaseId,
          nowMs,
          outcomes: this.keys.outcomeKeyOf !== undefined,
          outcome: outcomeOf(known.get(id), outcomes),
        });
      const toRead = new Set<string>();
      for (const id of pending) {
        const decision = decide(id);
        if (decision.kind === 'read-outcome') toRead.add(decision.leaseId);
      }
      if (toRead.size > 0) {
        try {
          const read = await this.readOutcomes([...toRead]);
          for (const lease of toRead) outcomes.set(lease, read.get(lease) ?? null);
        } catch (error) {
          pending = pending.filter((id) => {
            const decision = decide(id);
            if (decision.kind !== 'read-outcome') return true;
            results.set(id, asError(error));
            return false;
          });
        }
      }

      const takes: Array<{ id: string; take: Take }> = [];
      for (const id of pending) {
        const decision = decide(id);
        if (decision.kind === 'take') takes.push({ id, take: decision.take });
        else if (decision.kind === 'final') results.set(id, decision.status);
        else if (decision.kind === 'claimed' || decision.kind === 'in-flight') results.set(id, decision.kind);
      }
      const lost: string[] = [];
      await mapWithConcurrency(takes, 8, async ({ id, take }) => {
        try {
          await this.take(id, take, leaseId, nowMs);
          results.set(id, 'claimed');
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) {
            results.set(id, asError(error));
            return;
          }
          // Someone changed the item first: decide again on what is there now.
          known.set(id, error.Item ? (unmarshall(error.Item) as LeaseItem) : undefined);
          lost.push(id);
        }
      });
      pending = lost;
    }
    for (const id of pending) results.set(id, 'in-flight');
  }

  /** One conditional put that takes `id` only if its item is still what the decision saw. */
  private async take(id: string, take: Take, leaseId: string, nowMs: number): Promise<void> {
    const condition = takeCondition(take, this.keys.keyAttribute, nowMs);
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: { ...this.keys.keyOf(id), ...pendingItem(leaseId, nowMs, this.props) },
        ...condition,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  }

  /**
   * Reads the items of `ids` into `known`. When a read of many fails, each is read on its own, so that a key
   * DynamoDB refuses fails only its own claim.
   */
  private async readInto(
    ids: readonly string[],
    known: Map<string, LeaseItem | undefined>,
    results: Map<string, ClaimResult<Final>>,
  ): Promise<void> {
    try {
      const items = await this.readItems(ids);
      for (const id of ids) known.set(id, items.get(id));
    } catch (error) {
      if (ids.length === 1) results.set(ids[0] as string, asError(error));
      else await mapWithConcurrency(ids, 8, (id) => this.readInto([id], known, results));
    }
  }

  /** The items of `ids` (strongly consistent: a claim must see the last write). */
  private async readItems(ids: readonly string[]): Promise<Map<string, LeaseItem>> {
    const byKey = new Map(ids.map((id) => [keyString(this.keys.keyOf(id)), id]));
    const names = Object.keys(this.keys.keyOf(ids[0] as string));
    const found = new Map<string, LeaseItem>();
    for (const item of await this.readKeys(ids.map((id) => this.keys.keyOf(id)))) {
      const id = byKey.get(keyString(Object.fromEntries(names.map((name) => [name, item[name]]))));
      if (id !== undefined) found.set(id, item as unknown as LeaseItem);
    }
    return found;
  }

  /** The outcome records of `leaseIds` that exist, as the ids each finished, by status. */
  private async readOutcomes(leaseIds: readonly string[]): Promise<Map<string, LeaseOutcome>> {
    const outcomeKeyOf = this.keys.outcomeKeyOf as (leaseId: string) => Record<string, string>;
    const byKey = new Map(leaseIds.map((lease) => [keyString(outcomeKeyOf(lease)), lease]));
    const names = Object.keys(outcomeKeyOf(leaseIds[0] as string));
    const outcomes = new Map<string, LeaseOutcome>();
    for (const item of await this.readKeys(leaseIds.map(outcomeKeyOf))) {
      const lease = byKey.get(keyString(Object.fromEntries(names.map((name) => [name, item[name]]))));
      if (lease === undefined) continue;
      const finished = new Map<string, ReadonlySet<string>>();
      for (const [name, value] of Object.entries(item)) {
        const status = /^(.+)_ids$/.exec(name)?.[1];
        if (status && value instanceof Set) finished.set(status, value as Set<string>);
      }
      outcomes.set(lease, finished);
    }
    return outcomes;
  }

  private async readKeys(keys: readonly Record<string, string>[]): Promise<Record<string, unknown>[]> {
    const chunks: Record<string, string>[][] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_READ) chunks.push(keys.slice(i, i + KEYS_PER_READ));
    const pages = await mapWithConcurrency(chunks, 4, async (chunk) => {
      const items: Record<string, unknown>[] = [];
      let pending: Record<string, unknown>[] = chunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS)
          throw new Error(
            `DynamoDB left ${pending.length} lease reads unprocessed after ${MAX_ATTEMPTS} attempts`,
          );
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, 50, 1000));
        const output = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.props.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        items.push(...(output.Responses?.[this.props.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.props.tableName]?.Keys ?? [];
      }
      return items;
    });
    return pages.flat();
  }

  /** Writes the final status on each id's own item, 25 to a request. */
  private async writeFinal(ids: readonly string[], status: Final, nowMs: number): Promise<void> {
    const requests = ids.map((id) => ({
      PutRequest: {
        Item: {
          ...this.keys.keyOf(id),
          status,
          decided_at: new Date(nowMs).toISOString(),
          expires_at: expiresAt(nowMs, this.props.ttlSeconds),
        },
      },
    }));
    const chunks: (typeof requests)[] = [];
    for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
    await mapWithConcurrency(chunks, 4, async (chunk) => {
      let pending = chunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > MAX_ATTEMPTS)
          throw new Error(
            `DynamoDB left ${pending.length} lease writes unprocessed after ${MAX_ATTEMPTS} attempts`,
          );
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, 50, 1000));
        const output = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.props.tableName]: pending } }),
        );
        pending = (output.UnprocessedItems?.[this.props.tableName] ?? []) as typeof chunk;
      }
    });
  }
}

/** The DynamoDB condition that holds exactly when `takeHolds` (leases.ts) does. */
function takeCondition(
  take: Take,
  keyAttribute: string,
  nowMs: number,
): Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  switch (take.kind) {
    case 'absent':
      return {
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': keyAttribute },
      };
    case 'expired':
      return {
        ConditionExpression: 'expires_at < :nowSeconds',
        ExpressionAttributeValues: { ':nowSeconds': Math.floor(nowMs / 1000) },
      };
    case 'lapsed':
      return {
        ConditionExpression: '#status = :pending AND lease_id = :seen AND lease_expires_at < :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': PENDING, ':seen': take.leaseId, ':now': nowMs },
      };
  }
}

function outcomeOf(
  item: LeaseItem | undefined,
  outcomes: ReadonlyMap<string, LeaseOutcome | null>,
): LeaseOutcome | null | undefined {
  return item?.lease_id === undefined ? undefined : outcomes.get(item.lease_id);
}

function keyString(key: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(key)
      .sort()
      .map((name) => [name, key[name]]),
  );
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
