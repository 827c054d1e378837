import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { outcomeKey } from '../../ingest/adapters/dynamodb-dedup';
import { outcomeAttribute, PENDING } from '../../shared/leases';
import type { DedupMarks } from '../ports';

const QUARANTINED = 'quarantined';

/**
 * The ingest's dedup table (lambdas/ingest/adapters/dynamodb-dedup.ts), where a record EventBridge refused is
 * remembered as quarantined so that Auth0's redeliveries do not quarantine it again. That mark is either on
 * the key's own item (`status = quarantined`) or on the outcome record of the delivery that held it (the
 * key's item stays `pending` under that lease, and `lease:<lease id>` lists it in `quarantined_ids`).
 *
 * Clearing deletes the key's item, with a condition that it is still exactly what was read, so the next
 * delivery finds no item and claims it afresh. A key that was published, or whose delivery is still running,
 * is never touched.
 */
export class DynamoDbDedupMarks implements DedupMarks {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async clearQuarantined(key: string): Promise<boolean> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { log_id: key }, ConsistentRead: true }),
    );
    if (!item) return false;
    if (item.status === QUARANTINED) {
      return this.deleteIf(key, '#status = :status', { ':status': QUARANTINED });
    }
    if (item.status !== PENDING || typeof item.lease_id !== 'string') return false;
    const { Item: outcome } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: outcomeKey(item.lease_id), ConsistentRead: true }),
    );
    const quarantined = outcome?.[outcomeAttribute(QUARANTINED)];
    if (!(quarantined instanceof Set) || !quarantined.has(key)) return false;
    return this.deleteIf(key, '#status = :status AND lease_id = :lease', {
      ':status': PENDING,
      ':lease': item.lease_id,
    });
  }

  private async deleteIf(key: string, condition: string, values: Record<string, string>): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { log_id: key },
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      // Changed since it was read (a delivery took or finished it): no longer ours to clear.
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
