/**
 * The one claim pattern of this project, for anything that must happen once: an ingest publishing a log_id,
 * an action version running on an event. A claim is a short lease written with a conditional put; only the
 * holder acts; the outcome is written once it is certain (and remembered until the item's TTL), and a
 * failed attempt gives the lease back so a retry can act at once. A crash in between lets the lease lapse:
 * the next attempt acts again (at least once, never lost).
 *
 * Item: `{<key>, status: 'pending' | <final>, lease_id, lease_expires_at, expires_at}`; `expires_at` is the
 * table's TTL attribute, and an item past it counts as absent even before DynamoDB deletes it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { backoffDelayMs, mapWithConcurrency, sleep } from './concurrency';

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
}

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
    const now = this.now();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: {
            ...this.keys.keyOf(id),
            status: 'pending',
            lease_id: leaseId,
            lease_expires_at: now + this.props.leaseSeconds * 1000,
            expires_at: this.expiresAt(now),
          },
          ConditionExpression:
            'attribute_not_exists(#key) OR expires_at < :nowSeconds OR (#status = :pending AND lease_expires_at < :now)',
          ExpressionAttributeNames: { '#key': this.keys.keyAttribute, '#status': 'status' },
          ExpressionAttributeValues: {
            ':nowSeconds': Math.floor(now / 1000),
            ':pending': 'pending',
            ':now': now,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const status = error.Item ? (unmarshall(error.Item).status as string) : 'pending';
      return status === 'pending' ? 'in-flight' : (status as Final);
    }
  }

  /** Writes the outcome. Unconditional: only the holder of a claim gets here, and the outcome is final. */
  public async finish(ids: readonly string[], status: Final): Promise<void> {
    const now = this.now();
    const requests = ids.map((id) => ({
      PutRequest: {
        Item: {
          ...this.keys.keyOf(id),
          status,
          decided_at: new Date(now).toISOString(),
          expires_at: this.expiresAt(now),
        },
      },
    }));
    const chunks: (typeof requests)[] = [];
    for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
    await mapWithConcurrency(chunks, 4, async (chunk) => {
      let pending = chunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 5)
          throw new Error(`DynamoDB left ${pending.length} lease writes unprocessed after 5 attempts`);
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, 50, 1000));
        const output = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.props.tableName]: pending } }),
        );
        pending = (output.UnprocessedItems?.[this.props.tableName] ?? []) as typeof chunk;
      }
    });
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
            ExpressionAttributeValues: { ':pending': 'pending', ':lease': leaseId },
          }),
        );
      } catch (error) {
        // Someone else holds or finished it now: nothing of ours to release.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.props.ttlSeconds;
  }
}
