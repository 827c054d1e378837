import { optionalEnv, positiveIntFromEnv, requireEnv } from '../shared/config';
import type { IngestSettings } from './ingest';

/** Everything the ingest function reads from its environment, read once at cold start. */
export interface IngestConfig {
  readonly settings: IngestSettings;
  readonly tokenSecretId: string;
  readonly tokenCacheSeconds: number;
  readonly tokenRefreshIntervalSeconds: number;
  readonly dedupTableName: string;
  readonly dedupTtlSeconds: number;
  readonly dedupLeaseSeconds: number;
  readonly quarantineQueueUrl: string;
  readonly quarantineMaxMessageBytes: number;
  readonly claimCheckBucket: string;
}

export const DEFAULT_SOURCE = 'auth0.logs';
export const DEFAULT_DEDUP_TTL_DAYS = 7;
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
export const DEFAULT_PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** Where the ingest's resources are: what its environment must name. */
export interface IngestResources {
  readonly busName: string;
  readonly tokenSecretId: string;
  readonly dedupTableName: string;
  readonly quarantineQueueUrl: string;
  readonly claimCheckBucket: string;
}

/** What its environment may tune; each left out is the function's default. */
export interface IngestTuning {
  readonly eventSource?: string;
  readonly dedupTtlDays?: number;
  readonly dedupLeaseSeconds?: number;
  readonly maxBodyBytes?: number;
  readonly putEventsMaxBytes?: number;
  readonly quarantineMaxMessageBytes?: number;
}

/**
 * The environment `loadIngestConfig` reads: the one place its variables are named, for the stack
 * (lib/ingest.ts), local mode (local/provision.ts) and the benches alike.
 */
export function ingestEnvironment(
  resources: IngestResources,
  tuning: IngestTuning = {},
): Record<string, string> {
  const optional = (name: string, value: string | number | undefined) =>
    value === undefined ? {} : { [name]: String(value) };
  return {
    BUS_NAME: resources.busName,
    ...optional('EVENT_SOURCE', tuning.eventSource),
    TOKEN_SECRET_ID: resources.tokenSecretId,
    DEDUP_TABLE_NAME: resources.dedupTableName,
    ...optional('DEDUP_TTL_DAYS', tuning.dedupTtlDays),
    ...optional('DEDUP_LEASE_SECONDS', tuning.dedupLeaseSeconds),
    QUARANTINE_QUEUE_URL: resources.quarantineQueueUrl,
    CLAIM_CHECK_BUCKET: resources.claimCheckBucket,
    ...optional('MAX_BODY_BYTES', tuning.maxBodyBytes),
    ...optional('PUT_EVENTS_MAX_BYTES', tuning.putEventsMaxBytes),
    ...optional('QUARANTINE_MAX_MESSAGE_BYTES', tuning.quarantineMaxMessageBytes),
  };
}

/** The settings the function runs with when its environment sets none but the bus (the benches use them too). */
export const DEFAULT_INGEST_SETTINGS: Omit<IngestSettings, 'busName'> = {
  source: DEFAULT_SOURCE,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
  maxPutEventsBytes: DEFAULT_PUT_EVENTS_MAX_BYTES,
  publishMaxAttempts: 5,
  publishBaseDelayMs: 100,
  publishMaxDelayMs: 2000,
  concurrency: 16,
};

export function loadIngestConfig(): IngestConfig {
  const defaults = DEFAULT_INGEST_SETTINGS;
  return {
    settings: {
      busName: requireEnv('BUS_NAME'),
      source: optionalEnv('EVENT_SOURCE', defaults.source),
      maxBodyBytes: positiveIntFromEnv('MAX_BODY_BYTES', defaults.maxBodyBytes),
      maxPutEventsBytes: positiveIntFromEnv('PUT_EVENTS_MAX_BYTES', defaults.maxPutEventsBytes),
      publishMaxAttempts: positiveIntFromEnv('PUBLISH_MAX_ATTEMPTS', defaults.publishMaxAttempts),
      publishBaseDelayMs: positiveIntFromEnv('PUBLISH_BASE_DELAY_MS', defaults.publishBaseDelayMs),
      publishMaxDelayMs: positiveIntFromEnv('PUBLISH_MAX_DELAY_MS', defaults.publishMaxDelayMs),
      concurrency: positiveIntFromEnv('INGEST_CONCURRENCY', defaults.concurrency),
    },
    tokenSecretId: requireEnv('TOKEN_SECRET_ID'),
    tokenCacheSeconds: positiveIntFromEnv('TOKEN_CACHE_SECONDS', 300),
    tokenRefreshIntervalSeconds: positiveIntFromEnv('TOKEN_REFRESH_INTERVAL_SECONDS', 30),
    dedupTableName: requireEnv('DEDUP_TABLE_NAME'),
    dedupTtlSeconds: positiveIntFromEnv('DEDUP_TTL_DAYS', DEFAULT_DEDUP_TTL_DAYS) * 86_400,
    dedupLeaseSeconds: positiveIntFromEnv('DEDUP_LEASE_SECONDS', 120),
    quarantineQueueUrl: requireEnv('QUARANTINE_QUEUE_URL'),
    quarantineMaxMessageBytes: positiveIntFromEnv('QUARANTINE_MAX_MESSAGE_BYTES', 256 * 1024),
    claimCheckBucket: requireEnv('CLAIM_CHECK_BUCKET'),
  };
}
