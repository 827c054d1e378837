import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { backoffDelayMs, mapWithConcurrency, sleep } from '../../shared/concurrency';
import type { ClaimState, DedupStore } from '../ports';

export interface DynamoDbDedupStoreProps {
  readonly tableName: string;
  /** How long a log_id is remembered (the dedup window). */
  readonly ttlSeconds: number;
  /** How long a claim blocks other deliveries of the same log_id; longer than one invocation can run. */
  readonly leaseSeconds: number;
  readonly now?: () => number;
}

type Status = 'pending' | 'published' | 'quarantined';

/**
 * Dedup state, one item per log_id: `{log_id, status, lease_id, lease_expires_at, expires_at}`. `expires_at`
 * is the table's TTL attribute; an item past it counts as absent even before DynamoDB deletes it.
 */
export class DynamoDbDedupStore implements DedupStore {
  private readonly now: () => number;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly props: DynamoDbDedupStoreProps,
  ) {
    this.now = props.now ?? Date.now;
  }

  public async claim(logId: string, leaseId: string): Promise<ClaimState> {
    const now = this.now();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.props.tableName,
          Item: {
            log_id: logId,
            status: 'pending',
            lease_id: leaseId,
            lease_expires_at: now + this.props.leaseSeconds * 1000,
            expires_at: this.expiresAt(now),
          },
          ConditionExpression:
            'attribute_not_exists(log_id) OR expires_at < :nowSeconds OR (#status = :pending AND lease_expires_at < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
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
      const status = error.Item ? (unmarshall(error.Item).status as Status) : 'pending';
      return status === 'pending' ? 'in-flight' : status;
    }
  }

  public markPublished(logIds: readonly string[]): Promise<void> {
    return this.put(logIds, 'published');
  }

  public markQuarantined(logIds: readonly string[]): Promise<void> {
    return this.put(logIds, 'quarantined');
  }

  public async release(logIds: readonly string[], leaseId: string): Promise<void> {
    await mapWithConcurrency(logIds, 8, async (logId) => {
      try {
        await this.client.send(
          new DeleteCommand({
            TableName: this.props.tableName,
            Key: { log_id: logId },
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

  /** Unconditional puts: only the holder of a claim gets here, and the outcome is final. */
  private async put(logIds: readonly string[], status: Status): Promise<void> {
    const now = this.now();
    const requests = logIds.map((logId) => ({
      PutRequest: {
        Item: {
          log_id: logId,
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
          throw new Error(`DynamoDB left ${pending.length} dedup writes unprocessed after 5 attempts`);
        if (attempt > 1) await sleep(backoffDelayMs(attempt - 1, 50, 1000));
        const output = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.props.tableName]: pending } }),
        );
        pending = (output.UnprocessedItems?.[this.props.tableName] ?? []) as typeof chunk;
      }
    });
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.props.ttlSeconds;
  }
}
