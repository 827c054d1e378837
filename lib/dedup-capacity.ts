import { Token } from 'aws-cdk-lib';
import { Billing, Capacity } from 'aws-cdk-lib/aws-dynamodb';
import { checkInteger, InvalidPropsError } from './validation';

/** How the dedup table pays for its reads and writes. */
export const DEDUP_BILLING_MODES = ['on-demand', 'provisioned'] as const;
export type DedupBillingMode = (typeof DEDUP_BILLING_MODES)[number];

/**
 * Write capacity units kept however quiet the stream is: the price of provisioned billing when nothing
 * happens ($0.00065 per WCU-hour: $2.37 a month for 5), and the writes a burst can start from. DynamoDB also
 * keeps up to 300 seconds of unused capacity for bursts, so 5 WCU absorb a delivery of 100 records (about
 * 107 write units) at once.
 */
export const DEFAULT_DEDUP_MIN_WRITE_CAPACITY = 5;
/** About 900 records/s sustained at the default target (1.07 write units per record); a cap on the bill too. */
export const DEFAULT_DEDUP_MAX_WRITE_CAPACITY = 1000;
/** Auto scaling's target: the share of the provisioned capacity used. bench/cost.ts prices at this value. */
export const DEFAULT_DEDUP_TARGET_UTILIZATION = 70;
/**
 * Reads are rare (a claim reads only records that already have an item: redeliveries, about 0.01 read units
 * per record), so they scale from 1 unit, up to the write maximum: a redelivery reads at most one unit for each
 * record it would write.
 */
export const DEDUP_MIN_READ_CAPACITY = 1;
/** DynamoDB's default quota of capacity units per table (and of each of read and write). */
const TABLE_CAPACITY_QUOTA = 40_000;

/**
 * The dedup table's capacity: on-demand (pay per request) or provisioned with auto scaling. The names are the
 * context keys of the app (`-c dedupBilling=provisioned`), so that an error names what the user set.
 */
export interface DedupCapacityProps {
  /**
   * `on-demand` pays per request ($0.625 per million write units) and never throttles below the table's
   * quota; `provisioned` pays per capacity-hour (about 60 % less per write at the default 70 % target) with
   * auto scaling on reads and writes, but throttles a burst above the current capacity until auto scaling
   * catches up (minutes): the ingest then answers 503 and Auth0 delivers the batch again, so records are
   * delayed, not lost. Cheaper above a sustained rate of about 1.4 records/s with the default minimum
   * (`npx tsx bench/cost.ts` prints the break-even).
   * @default 'on-demand'
   */
  readonly dedupBilling?: DedupBillingMode;
  /**
   * With `dedupBilling: 'provisioned'`: the write capacity units auto scaling never goes below, paid for
   * even when no record arrives.
   * @default 5
   */
  readonly dedupMinWriteCapacity?: number;
  /**
   * With `dedupBilling: 'provisioned'`: the write capacity units auto scaling never goes above; a stream
   * needing more is throttled (503s, Auth0 retries). Reads scale from 1 unit up to the same maximum.
   * @default 1000
   */
  readonly dedupMaxWriteCapacity?: number;
  /**
   * With `dedupBilling: 'provisioned'`: the utilisation auto scaling keeps reads and writes at, in percent
   * (20 to 90). Higher is cheaper and leaves less headroom for a burst before auto scaling reacts.
   * @default 70
   */
  readonly dedupTargetUtilization?: number;
}

/** The dedup table's `billing`, from validated props; on-demand unless `dedupBilling` is `provisioned`. */
export function dedupTableBilling(where: string, props: DedupCapacityProps): Billing {
  validateDedupCapacity(where, props);
  if (props.dedupBilling !== 'provisioned') return Billing.onDemand();
  const minCapacity = props.dedupMinWriteCapacity ?? DEFAULT_DEDUP_MIN_WRITE_CAPACITY;
  const maxCapacity = props.dedupMaxWriteCapacity ?? DEFAULT_DEDUP_MAX_WRITE_CAPACITY;
  const targetUtilizationPercent = props.dedupTargetUtilization ?? DEFAULT_DEDUP_TARGET_UTILIZATION;
  // A seed capacity lets CloudFormation switch an existing on-demand table to provisioned (it is required
  // then); the table starts at its minimum and auto scaling takes it from there.
  return Billing.provisioned({
    readCapacity: Capacity.autoscaled({
      minCapacity: DEDUP_MIN_READ_CAPACITY,
      maxCapacity,
      targetUtilizationPercent,
      seedCapacity: DEDUP_MIN_READ_CAPACITY,
    }),
    writeCapacity: Capacity.autoscaled({
      minCapacity,
      maxCapacity,
      targetUtilizationPercent,
      seedCapacity: minCapacity,
    }),
  });
}

function validateDedupCapacity(where: string, props: DedupCapacityProps): void {
  const billing = props.dedupBilling;
  if (billing !== undefined && !(DEDUP_BILLING_MODES as readonly string[]).includes(billing)) {
    throw new InvalidPropsError(
      `${where}: dedupBilling must be ${DEDUP_BILLING_MODES.map((mode) => `"${mode}"`).join(' or ')}, got ${JSON.stringify(billing)}`,
    );
  }
  const capacitySettings = {
    dedupMinWriteCapacity: props.dedupMinWriteCapacity,
    dedupMaxWriteCapacity: props.dedupMaxWriteCapacity,
    dedupTargetUtilization: props.dedupTargetUtilization,
  };
  if (billing !== 'provisioned') {
    const set = Object.entries(capacitySettings).filter(([, value]) => value !== undefined);
    if (set.length > 0) {
      throw new InvalidPropsError(
        `${where}: ${set.map(([name, value]) => `${name} (${value})`).join(', ')} only ${set.length === 1 ? 'applies' : 'apply'} with dedupBilling "provisioned", got dedupBilling ${JSON.stringify(billing ?? 'on-demand')}${billing === undefined ? ' (the default)' : ''}`,
      );
    }
    return;
  }
  const quota = `DynamoDB's default quota per table is ${TABLE_CAPACITY_QUOTA}`;
  checkInteger(where, 'dedupMinWriteCapacity', props.dedupMinWriteCapacity, 1, TABLE_CAPACITY_QUOTA, quota);
  checkInteger(where, 'dedupMaxWriteCapacity', props.dedupMaxWriteCapacity, 1, TABLE_CAPACITY_QUOTA, quota);
  checkInteger(where, 'dedupTargetUtilization', props.dedupTargetUtilization, 20, 90, 'percent');
  const min = props.dedupMinWriteCapacity ?? DEFAULT_DEDUP_MIN_WRITE_CAPACITY;
  const max = props.dedupMaxWriteCapacity ?? DEFAULT_DEDUP_MAX_WRITE_CAPACITY;
  if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && min > max) {
    const describe = (value: number, given: number | undefined) =>
      given === undefined ? `${value}, the default` : String(value);
    throw new InvalidPropsError(
      `${where}: dedupMinWriteCapacity (${describe(min, props.dedupMinWriteCapacity)}) must not exceed dedupMaxWriteCapacity (${describe(max, props.dedupMaxWriteCapacity)})`,
    );
  }
}
