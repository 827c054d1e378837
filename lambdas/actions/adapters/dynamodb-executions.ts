/**
 * Executions and run claims in one DynamoDB table (string `pk` and `sk`, TTL attribute `expires_at`). Every
 * key starts with the action's id, so an action's own role can be limited to its keys with
 * `dynamodb:LeadingKeys` (see `executionKeyPatterns`):
 * - `run#<actionId>#<versionId>#<eventId>` / `run`: the claim of one version on one event (the project's
 *   one claim pattern, `lambdas/shared/dynamodb-leases.ts`);
 * - `action#<actionId>` / `exec#<startedAt>#<executionId>`: the action's executions, newest last;
 * - `exec#<executionId>` / `exec`: the same record, found by id (execution ids start with `<actionId>.`).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLeases } from '../../shared/dynamodb-leases';
import type { ExecutionRecord, Page, Window } from '../model';
import type { ExecutionReader, ExecutionWriter, RunClaim, RunRef } from '../ports';
import type { RecordedCall } from '../runtime/recorded-api';

export interface DynamoDbExecutionsProps {
  readonly tableName: string;
  /** How long executions and run claims are kept. @default 10 days, as Auth0 keeps executions */
  readonly ttlDays?: number;
  /** How long a run claim blocks another delivery of the event; longer than a run may take. @default 120 */
  readonly leaseSeconds?: number;
  readonly now?: () => number;
}

export const DEFAULT_EXECUTION_TTL_DAYS = 10;

/** The partition keys an action may write, as `dynamodb:LeadingKeys` patterns. */
export function executionKeyPatterns(actionId: string): string[] {
  return [`run#${actionId}#*`, `action#${actionId}`, `exec#${actionId}.*`];
}

/** An execution id: the action's id, a dot, and a unique part. */
export function executionIdFor(actionId: string, unique: string): string {
  return `${actionId}.${unique}`;
}

export class DynamoDbExecutions implements ExecutionWriter, ExecutionReader {
  private readonly leases: DynamoDbLeases<'done'>;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly props: DynamoDbExecutionsProps,
  ) {
    this.ttlSeconds = (props.ttlDays ?? DEFAULT_EXECUTION_TTL_DAYS) * 86_400;
    this.now = props.now ?? Date.now;
    this.leases = new DynamoDbLeases(
      client,
      {
        tableName: props.tableName,
        ttlSeconds: this.ttlSeconds,
        leaseSeconds: props.leaseSeconds ?? 120,
        now: this.now,
      },
      { keyAttribute: 'pk', keyOf: (claim) => ({ pk: claim, sk: 'run' }) },
    );
  }

  public claim(run: RunRef, leaseId: string): Promise<RunClaim> {
    return this.leases.claim(runKey(run), leaseId);
  }

  public complete(run: RunRef, _leaseId: string): Promise<void> {
    return this.leases.finish([runKey(run)], 'done');
  }

  public release(run: RunRef, leaseId: string): Promise<void> {
    return this.leases.release([runKey(run)], leaseId);
  }

  public async put(execution: ExecutionRecord): Promise<void> {
    const expiresAt = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const body = { ...toItem(execution), expires_at: expiresAt };
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: {
          pk: `action#${execution.actionId}`,
          sk: `exec#${execution.startedAt}#${execution.id}`,
          ...body,
        },
      }),
    );
    await this.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: { pk: `exec#${execution.id}`, sk: 'exec', ...body },
      }),
    );
  }

  public async get(id: string): Promise<ExecutionRecord | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.props.tableName, Key: { pk: `exec#${id}`, sk: 'exec' } }),
    );
    const item = output.Item;
    if (!item || Number(item.expires_at ?? Number.POSITIVE_INFINITY) < Math.floor(this.now() / 1000))
      return undefined;
    return fromItem(item);
  }

  public async list(actionId: string, window: Window): Promise<Page<ExecutionRecord>> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.client.send(
        new QueryCommand({
          TableName: this.props.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :exec)',
          ExpressionAttributeValues: { ':pk': `action#${actionId}`, ':exec': 'exec#' },
          ScanIndexForward: false,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    const nowSeconds = Math.floor(this.now() / 1000);
    const live = items.filter((item) => Number(item.expires_at ?? Number.POSITIVE_INFINITY) >= nowSeconds);
    return {
      items: live.slice(window.offset, window.offset + window.limit).map(fromItem),
      total: live.length,
    };
  }
}

/** The claim key of one version on one event; the action id leads it, for LeadingKeys. */
function runKey({ actionId, versionId, eventId }: RunRef): string {
  return `run#${actionId}#${versionId}#${eventId}`;
}

function toItem(execution: ExecutionRecord): Record<string, unknown> {
  return {
    item_type: 'execution',
    id: execution.id,
    action_id: execution.actionId,
    action_name: execution.actionName,
    action_version_id: execution.actionVersionId,
    action_version_number: execution.actionVersionNumber,
    trigger_id: execution.triggerId,
    event_id: execution.eventId,
    status: execution.status,
    started_at: execution.startedAt,
    ended_at: execution.endedAt,
    duration_ms: execution.durationMs,
    logs: [...execution.logs],
    ...(execution.error ? { error: { ...execution.error } } : {}),
    ...(execution.emitted ? { emitted: execution.emitted } : {}),
    // As JSON text: the arguments are any JSON, which DynamoDB cannot always hold as a map (numbers past its
    // range, nesting past 32 levels).
    ...(execution.recorded?.length ? { recorded: JSON.stringify(execution.recorded) } : {}),
    ...(execution.recordedOmitted ? { recorded_omitted: execution.recordedOmitted } : {}),
  };
}

function fromItem(item: Record<string, unknown>): ExecutionRecord {
  return {
    id: item.id as string,
    actionId: item.action_id as string,
    actionName: item.action_name as string,
    actionVersionId: item.action_version_id as string,
    actionVersionNumber: Number(item.action_version_number),
    triggerId: item.trigger_id as ExecutionRecord['triggerId'],
    eventId: item.event_id as string,
    status: item.status as ExecutionRecord['status'],
    startedAt: item.started_at as string,
    endedAt: item.ended_at as string,
    durationMs: Number(item.duration_ms),
    logs: (item.logs as string[] | undefined) ?? [],
    ...(item.error ? { error: item.error as { name: string; message: string } } : {}),
    ...(item.emitted ? { emitted: Number(item.emitted) } : {}),
    ...(typeof item.recorded === 'string' ? { recorded: JSON.parse(item.recorded) as RecordedCall[] } : {}),
    ...(item.recorded_omitted ? { recordedOmitted: Number(item.recorded_omitted) } : {}),
  };
}
