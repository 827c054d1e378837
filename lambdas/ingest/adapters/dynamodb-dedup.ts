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
 * The key of a delivery's outcome record. Lease ids are random UUIDs that never leave the function, so no
 * record's key (a log_id, `event:…`, `action:…`) can name one by chance or on purpose.
 */
export const outcomeKey = (leaseId: string) => ({ log_id: `lease:${leaseId}` });

/**
 * Dedup state, one item per log_id (partition key `log_id`), with the project's one claim pattern
 * (`lambdas/shared/dynamodb-leases.ts`): a delivery claims its records 25 to a request before publishing, and
 * once EventBridge accepted them records that in one outcome item for the whole delivery (`lease:<lease id>`),
 * not one write per record; a claim that finds a record pending reads that item to know whether it is done.
 * Claims of records that failed are given back.
 */
export class DynamoDbDedupStore implements DedupStore {
  private readonly leases: DynamoDbLeases<'published' | 'quarantined'>;

  public constructor(client: DynamoDBDocumentClient, props: DynamoDbDedupStoreProps) {
    this.leases = new DynamoDbLeases(client, props, {
      keyAttribute: 'log_id',
      keyOf: (logId) => ({ log_id: logId }),
      outcomeKeyOf: outcomeKey,
    });
  }

  public claim(logIds: readonly string[], leaseId: string): Promise<Array<ClaimState | Error>> {
    return this.leases.claimAll(logIds, leaseId);
  }

  public markPublished(logIds: readonly string[], leaseId: string): Promise<void> {
    return this.leases.finish(logIds, 'published', leaseId);
  }

  public markQuarantined(logIds: readonly string[], leaseId: string): Promise<void> {
    return this.leases.finish(logIds, 'quarantined', leaseId);
  }

  public release(logIds: readonly string[], leaseId: string): Promise<void> {
    return this.leases.release(logIds, leaseId);
  }
}
