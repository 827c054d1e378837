/**
 * The `api` object a log-triggered action receives: `api.cache`, with Auth0's semantics and limits, and
 * `api.emit`, which puts an event of the action's own on the bus. Pure: the cache keeps its records in
 * memory, and `emit` hands a validated event to a port that the caller wires to EventBridge.
 */

/**
 * Auth0's Actions cache limits, from the "Cached data" section of Auth0's Actions Limitations page
 * (https://auth0.com/docs/customize/actions/limitations): a record lives at most 24 hours; at most 20
 * entries; a key at most 64 bytes and a value at most 4 KB; keys and values together at most 8 KB. The
 * 15-minute default lifetime is from `api.cache.set` in the event-stream API object reference
 * (https://auth0.com/docs/customize/actions/explore-triggers/event-stream-triggers/event-stream-api-object).
 * Auth0 scopes the cache to a trigger; here it is scoped to one action in one process.
 */
export const CACHE_LIMITS = {
  maxEntries: 20,
  maxKeyBytes: 64,
  maxValueBytes: 4096,
  maxTotalBytes: 8192,
  defaultTtlMs: 15 * 60 * 1000,
  maxTtlMs: 24 * 60 * 60 * 1000,
} as const;

/** EventBridge's limits on one entry: a detail-type of 1 to 128 characters, an entry of at most 256 KB. */
export const EMIT_LIMITS = {
  maxDetailTypeLength: 128,
  maxDetailBytes: 256 * 1024,
} as const;

export interface CacheRecord {
  readonly value: string;
  /** When the record expires at the latest, in milliseconds since the Unix epoch. */
  readonly expires_at: number;
}

export interface CacheSetOptions {
  /** Lifetime in milliseconds. */
  readonly ttl?: number;
  /** Absolute expiry in milliseconds since the Unix epoch. With `ttl` too, the earlier of the two applies. */
  readonly expires_at?: number;
}

export type CacheErrorCode =
  | 'invalid_key'
  | 'key_too_large'
  | 'invalid_value'
  | 'value_too_large'
  | 'invalid_options';

export type CacheWriteResult =
  | { readonly type: 'success' }
  | { readonly type: 'error'; readonly code: CacheErrorCode; readonly message: string };

export interface ActionCache {
  get(key: string): CacheRecord | undefined;
  set(key: string, value: string, options?: CacheSetOptions): CacheWriteResult;
  delete(key: string): CacheWriteResult;
}

/** Publishes one event the action emitted; the caller puts it on the bus. */
export type EmitPort = (detailType: string, detail: Record<string, unknown>) => Promise<void>;

export interface LogActionApi {
  readonly cache: ActionCache;
  /** Validates the event and resolves once the emit port has published it. */
  emit(detailType: string, detail: object): Promise<void>;
}

/** `api.emit` was called with something EventBridge would not accept. */
export class EmitRejectedError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmitRejectedError';
  }
}

const SUCCESS: CacheWriteResult = Object.freeze({ type: 'success' });

interface StoredRecord {
  readonly value: string;
  readonly expiresAt: number;
  readonly bytes: number;
}

/**
 * One action's cache. Records may go before their lifetime ends, as Auth0 documents: when a new record
 * would take the cache past 20 entries or 8 KB, the records closest to expiry make room for it, so a
 * `set` within the per-record limits always succeeds.
 */
export function createActionCache(options: { readonly now?: () => number } = {}): ActionCache {
  const now = options.now ?? Date.now;
  const records = new Map<string, StoredRecord>();
  let totalBytes = 0;

  const remove = (key: string): void => {
    const record = records.get(key);
    if (!record) return;
    totalBytes -= record.bytes;
    records.delete(key);
  };
  const removeExpired = (at: number): void => {
    for (const [key, record] of records) if (record.expiresAt <= at) remove(key);
  };
  const soonestToExpire = (): string | undefined => {
    let soonest: [string, StoredRecord] | undefined;
    for (const entry of records) if (!soonest || entry[1].expiresAt < soonest[1].expiresAt) soonest = entry;
    return soonest?.[0];
  };

  return Object.freeze({
    get(key: string): CacheRecord | undefined {
      if (typeof key !== 'string') return undefined;
      const record = records.get(key);
      if (!record) return undefined;
      if (record.expiresAt <= now()) {
        remove(key);
        return undefined;
      }
      return { value: record.value, expires_at: record.expiresAt };
    },

    set(key: string, value: string, setOptions?: CacheSetOptions): CacheWriteResult {
      const keyProblem = checkKey(key);
      if (keyProblem) return keyProblem;
      if (typeof value !== 'string') {
        return cacheError(
          'invalid_value',
          `api.cache.set: the value must be a string, got ${typeName(value)}.`,
        );
      }
      const valueBytes = Buffer.byteLength(value, 'utf8');
      if (valueBytes > CACHE_LIMITS.maxValueBytes) {
        return cacheError(
          'value_too_large',
          `api.cache.set: the value is ${valueBytes} bytes; at most ${CACHE_LIMITS.maxValueBytes} are allowed.`,
        );
      }
      const at = now();
      const expiresAt = expiryOf(setOptions, at);
      if (typeof expiresAt !== 'number') return expiresAt;

      const bytes = Buffer.byteLength(key, 'utf8') + valueBytes;
      remove(key);
      removeExpired(at);
      while (records.size >= CACHE_LIMITS.maxEntries || totalBytes + bytes > CACHE_LIMITS.maxTotalBytes) {
        const evicted = soonestToExpire();
        if (evicted === undefined) break;
        remove(evicted);
      }
      records.set(key, { value, expiresAt, bytes });
      totalBytes += bytes;
      return SUCCESS;
    },

    delete(key: string): CacheWriteResult {
      const keyProblem = checkKey(key);
      if (keyProblem) return keyProblem;
      remove(key);
      return SUCCESS;
    },
  });
}

function checkKey(key: unknown): CacheWriteResult | undefined {
  if (typeof key !== 'string' || key.length === 0) {
    return cacheError('invalid_key', `api.cache: the key must be a non-empty string, got ${typeName(key)}.`);
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > CACHE_LIMITS.maxKeyBytes) {
    return cacheError(
      'key_too_large',
      `api.cache: the key is ${bytes} bytes; at most ${CACHE_LIMITS.maxKeyBytes} are allowed.`,
    );
  }
  return undefined;
}

/** The record's expiry: the earlier of `ttl` and `expires_at`, 15 minutes by default, 24 hours at most. */
function expiryOf(options: CacheSetOptions | undefined, at: number): number | CacheWriteResult {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    return cacheError(
      'invalid_options',
      `api.cache.set: options must be an object, got ${typeName(options)}.`,
    );
  }
  const { ttl, expires_at: expiresAt } = options ?? {};
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0)) {
    return cacheError(
      'invalid_options',
      `api.cache.set: ttl must be a positive number of milliseconds, got ${JSON.stringify(ttl) ?? typeName(ttl)}.`,
    );
  }
  if (
    expiresAt !== undefined &&
    !(typeof expiresAt === 'number' && Number.isFinite(expiresAt) && expiresAt > at)
  ) {
    return cacheError(
      'invalid_options',
      `api.cache.set: expires_at must be a time in the future, in milliseconds since the Unix epoch, got ${JSON.stringify(expiresAt) ?? typeName(expiresAt)}.`,
    );
  }
  const candidates = [
    at + CACHE_LIMITS.maxTtlMs,
    ...(ttl !== undefined ? [at + ttl] : []),
    ...(expiresAt !== undefined ? [expiresAt] : []),
  ];
  if (ttl === undefined && expiresAt === undefined) candidates.push(at + CACHE_LIMITS.defaultTtlMs);
  return Math.min(...candidates);
}

function cacheError(code: CacheErrorCode, message: string): CacheWriteResult {
  return Object.freeze({ type: 'error', code, message });
}

/**
 * The event as EventBridge will carry it: a detail-type of 1 to 128 characters and a detail that is a JSON
 * object (a copy, made through JSON, so later changes by the action cannot alter what was checked), the
 * entry at most 256 KB. Used on both sides of the process boundary: the child must not be trusted.
 */
export function validateEmit(
  detailType: unknown,
  detail: unknown,
): { detailType: string; detail: Record<string, unknown> } {
  if (
    typeof detailType !== 'string' ||
    detailType.length < 1 ||
    detailType.length > EMIT_LIMITS.maxDetailTypeLength
  ) {
    const got = typeof detailType === 'string' ? `${detailType.length} characters` : typeName(detailType);
    throw new EmitRejectedError(
      `api.emit: the detail-type must be a string of 1 to ${EMIT_LIMITS.maxDetailTypeLength} characters, got ${got}.`,
    );
  }
  if (!isPlainObject(detail)) {
    throw new EmitRejectedError(`api.emit: the detail must be a JSON object, got ${typeName(detail)}.`);
  }
  let json: string;
  try {
    json = JSON.stringify(detail);
  } catch (error) {
    throw new EmitRejectedError(
      `api.emit: the detail cannot be written as JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const bytes = Buffer.byteLength(json, 'utf8') + Buffer.byteLength(detailType, 'utf8');
  if (bytes > EMIT_LIMITS.maxDetailBytes) {
    throw new EmitRejectedError(
      `api.emit: the event is ${bytes} bytes as JSON; EventBridge takes at most ${EMIT_LIMITS.maxDetailBytes}.`,
    );
  }
  const copy: unknown = JSON.parse(json);
  if (!isPlainObject(copy)) {
    throw new EmitRejectedError(`api.emit: the detail's toJSON() gave ${typeName(copy)}, not a JSON object.`);
  }
  return { detailType, detail: copy };
}

export function createActionApi(ports: {
  readonly cache: ActionCache;
  readonly emit: EmitPort;
}): LogActionApi {
  return Object.freeze({
    cache: ports.cache,
    emit(detailType: string, detail: object): Promise<void> {
      try {
        const event = validateEmit(detailType, detail);
        return ports.emit(event.detailType, event.detail);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `a ${typeof value}`;
}
