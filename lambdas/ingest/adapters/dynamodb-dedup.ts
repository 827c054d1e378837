import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLeases } from '../../shared/dynamodb-leases';
import type { ClaimState, DedupStore } from '../ports';

export interface DynamoDbDedupStoreProps {
  readonly tableName: string;
  /** How long a log_id is remembered (the dedup window). */
  readonly ttlSeconds: number;
  /** How long a claim blocks other deliveries of the same log_id; longer than one invocation can run. */
  readonly leaseSeconds: number;
  readonly now?: () => number;
}

/**
 * Dedup state, one item per log_id (partition key `log_id`), with the project's one claim pattern
 * (`lambdas/shared/dynamodb-leases.ts`): a record is claimed before it is published, marked published only
 * after EventBridge accepted it, and its claim given back when publishing failed.
 */
export class DynamoDbDedupStore implements DedupStore {
  private readonly leases: DynamoDbLeases<'published' | 'quarantined'>;

  public constructor(client: DynamoDBDocumentClient, props: DynamoDbDedupStoreProps) {
    this.leases = new DynamoDbLeases(client, props, {
      keyAttribute: 'log_id',
      keyOf: (logId) => ({ log_id: logId }),
    });
  }

  public claim(logId: string, leaseId: string): Promise<ClaimState> {
    return this.leases.claim(logId, leaseId);
  }

  public markPublished(logIds: readonly string[]): Promise<void> {
    return this.leases.finish(logIds, 'published');
  }

  public markQuarantined(logIds: readonly string[]): Promise<void> {
    return this.leases.finish(logIds, 'quarantined');
  }

  public release(logIds: readonly string[], leaseId: string): Promise<void> {
    return this.leases.release(logIds, leaseId);
  }
}
