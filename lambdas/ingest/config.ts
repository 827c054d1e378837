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

export function loadIngestConfig(): IngestConfig {
  return {
    settings: {
      busName: requireEnv('BUS_NAME'),
      source: optionalEnv('EVENT_SOURCE', DEFAULT_SOURCE),
      maxBodyBytes: positiveIntFromEnv('MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES),
      maxPutEventsBytes: positiveIntFromEnv('PUT_EVENTS_MAX_BYTES', DEFAULT_PUT_EVENTS_MAX_BYTES),
      publishMaxAttempts: positiveIntFromEnv('PUBLISH_MAX_ATTEMPTS', 5),
      publishBaseDelayMs: positiveIntFromEnv('PUBLISH_BASE_DELAY_MS', 100),
      publishMaxDelayMs: positiveIntFromEnv('PUBLISH_MAX_DELAY_MS', 2000),
      concurrency: positiveIntFromEnv('INGEST_CONCURRENCY', 16),
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
