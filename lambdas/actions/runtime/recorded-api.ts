/**
 * The `api` of Auth0's Actions triggers, after the fact. Auth0 runs an action inside the login (or the token
 * exchange, the signup…), so `api.access.deny` stops it and `api.idToken.setCustomClaim` changes the token.
 * Here an action runs on the trigger's event once it is on the bus, when the transaction is long over: such
 * a call cannot be applied, so it is recorded instead (method and JSON-copied arguments, with secret values
 * redacted) and the execution shows it. `api.cache` and `api.emit` work as for every action.
 *
 * `RECORDED_METHODS` is the one place that lists each trigger's methods, from Auth0's "API object" reference
 * of each trigger (https://auth0.com/docs/customize/actions/explore-triggers). A method Auth0 does not have
 * is `undefined` here too, so calling it is a TypeError, as in Auth0. Every listed method returns the `api`
 * (Auth0 documents most as chainable; returning it where Auth0 returns nothing breaks no valid code), except
 * the two in `ANSWERS`, which answer a value.
 *
 * Pure and used on both sides of the process boundary: the child builds the `api` and records; the parent,
 * which must not trust the child, passes what the child reports through `sanitizeRecording`, which checks it
 * against the same table and limits and redacts it again.
 */
import type { TriggerId } from '../bindings/triggers';
import { type ActionCache, createActionApi, type EmitPort, type LogActionApi } from './api';
import { REDACTED } from './execute';

/** A namespace of `api` and its methods: `{access: ['deny']}` is `api.access.deny`. */
export type ApiSurface = Readonly<Record<string, readonly string[]>>;

const SAML_RESPONSE_METHODS = [
  'setAttribute',
  'setAudience',
  'setAuthnContextClassRef',
  'setCert',
  'setCreateUpnClaim',
  'setDestination',
  'setDigestAlgorithm',
  'setEncryptionCert',
  'setEncryptionPublicKey',
  'setIncludeAttributeNameFormat',
  'setIssuer',
  'setKey',
  'setLifetimeInSeconds',
  'setMapIdentities',
  'setMapUnknownClaimsAsIs',
  'setNameIdentifierFormat',
  'setNameIdentifierProbes',
  'setPassthroughClaimsWithNoMapping',
  'setRecipient',
  'setRelayState',
  'setSignatureAlgorithm',
  'setSignResponse',
  'setSigningCert',
  'setTypedAttributes',
] as const;

/**
 * Each trigger's recorded methods, besides `api.cache` (every trigger) and `api.emit` (this project's).
 * Not here: `api.redirect.validateToken`, which reads the request to `/continue`, and `onContinuePostLogin`,
 * which never runs: a redirect never happens after the fact.
 */
export const RECORDED_METHODS: Readonly<Record<TriggerId, ApiSurface>> = {
  'auth0-log': {},
  'post-login': {
    access: ['deny'],
    accessToken: ['addScope', 'removeScope', 'setCustomClaim'],
    authentication: [
      'challengeWith',
      'challengeWithAny',
      'enrollWith',
      'enrollWithAny',
      'recordMethod',
      'setPrimaryUser',
    ],
    idToken: ['setCustomClaim'],
    multifactor: ['enable'],
    prompt: ['render'],
    redirect: ['encodeToken', 'sendUserTo'],
    refreshToken: ['revoke', 'setExpiresAt', 'setIdleExpiresAt'],
    rules: ['wasExecuted'],
    samlResponse: SAML_RESPONSE_METHODS,
    session: ['revoke', 'setExpiresAt', 'setIdleExpiresAt'],
    transaction: ['setMetadata'],
    user: ['setAppMetadata', 'setUserMetadata'],
  },
  'credentials-exchange': {
    access: ['deny'],
    accessToken: ['setCustomClaim'],
  },
  'pre-user-registration': {
    access: ['deny'],
    user: ['setAppMetadata', 'setUserMetadata'],
    validation: ['error'],
  },
  'post-user-registration': {},
  'post-change-password': {},
  'send-phone-message': {},
  'password-reset-post-challenge': {
    access: ['deny'],
    authentication: ['challengeWith', 'challengeWithAny'],
    redirect: ['encodeToken', 'sendUserTo'],
    transaction: ['setResultUrl'],
  },
  'custom-token-exchange': {
    access: ['deny', 'rejectInvalidSubjectToken'],
    authentication: ['setUserById', 'setUserByConnection'],
  },
};

/** What `api.redirect.encodeToken` gives back: no token is signed for a redirect that never happens. */
export const UNISSUED_TOKEN = '[not issued: the action ran after the transaction]';

/** The recorded methods that answer a value in Auth0 rather than the `api`. */
export const ANSWERS: Readonly<Record<string, string | boolean>> = {
  // Auth0 has retired Rules; none runs before an action here.
  'api.rules.wasExecuted': false,
  'api.redirect.encodeToken': UNISSUED_TOKEN,
};

/** One call: `{method: 'api.access.deny', args: ['blocked country']}`; `args` are JSON values. */
export interface RecordedCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** The calls of one run, in order, and how many more were made than the limits let it keep. */
export interface Recording {
  readonly calls: readonly RecordedCall[];
  readonly omitted: number;
}

export interface RecordingLimits {
  /** Calls kept per run; later ones are counted in `omitted`. */
  readonly maxCalls: number;
  /** One call's arguments as JSON; larger ones are replaced by a note of their size. */
  readonly maxArgsBytes: number;
  /** All kept calls' arguments as JSON; a call that would pass it is counted in `omitted`. */
  readonly maxTotalBytes: number;
}

/** An execution is written to DynamoDB (at most 400 KB an item) with 8 KB of logs: this keeps it far below. */
export const RECORDING_LIMITS: RecordingLimits = {
  maxCalls: 50,
  maxArgsBytes: 4096,
  maxTotalBytes: 32 * 1024,
};

export const NO_RECORDING: Recording = Object.freeze({ calls: Object.freeze([]), omitted: 0 });

// Taken before any action code runs in this process (as in execute.ts): the host runs actions in process.
const stringify = JSON.stringify;
const parse = JSON.parse;
const keysOf = Object.keys;
const isArray = Array.isArray;
const freeze = Object.freeze;
const hasOwn = Object.hasOwn;
const defineProperty = Object.defineProperty;
const byteLength = Buffer.byteLength;

/** The trigger's surface; empty for a trigger with none, and for any string that is not a trigger id. */
export function surfaceOf(triggerId: string): ApiSurface {
  return hasOwn(RECORDED_METHODS, triggerId) ? RECORDED_METHODS[triggerId as TriggerId] : {};
}

/** The trigger's recorded methods as full names: `['api.access.deny', …]`. */
export function recordedMethodNames(triggerId: string): string[] {
  return Object.entries(surfaceOf(triggerId)).flatMap(([space, names]) =>
    names.map((name) => `api.${space}.${name}`),
  );
}

export function isRecordedMethod(triggerId: string, method: string): boolean {
  const match = /^api\.([A-Za-z]+)\.([A-Za-z]+)$/.exec(method);
  if (!match) return false;
  const surface = surfaceOf(triggerId);
  const space = match[1] as string;
  return hasOwn(surface, space) && (surface[space] as readonly string[]).includes(match[2] as string);
}

export interface CallRecorder {
  /** Records one call of a listed method. Never throws; does nothing once closed. */
  record(method: string, args: readonly unknown[]): void;
  /** Ends the run: calls made later (from a timer the action left behind) are not recorded. */
  close(): void;
  recording(): Recording;
}

/**
 * Records one run's calls: each call's arguments are copied through JSON (so later changes by the action
 * cannot alter them), every string in them redacted with `redact`, and the limits applied.
 */
export function createCallRecorder(options: {
  readonly redact: (text: string) => string;
  readonly limits?: RecordingLimits;
}): CallRecorder {
  const { redact } = options;
  const limits = options.limits ?? RECORDING_LIMITS;
  const calls: RecordedCall[] = [];
  let omitted = 0;
  let totalBytes = 0;
  let closed = false;

  return freeze({
    record(method: string, args: readonly unknown[]): void {
      if (closed) return;
      if (calls.length >= limits.maxCalls) {
        omitted++;
        return;
      }
      const copied = copyArgs(args, redact, limits.maxArgsBytes);
      if (totalBytes + copied.bytes > limits.maxTotalBytes) {
        omitted++;
        return;
      }
      totalBytes += copied.bytes;
      calls.push(freeze({ method, args: copied.args }));
    },
    close(): void {
      closed = true;
    },
    recording(): Recording {
      return freeze({ calls: freeze([...calls]), omitted });
    },
  });
}

/**
 * What a child reported, checked as if it had never been recorded: only the trigger's methods, arguments
 * copied, redacted and bounded again, `omitted` a count. Anything else is dropped.
 */
export function sanitizeRecording(
  triggerId: string,
  untrusted: unknown,
  redact: (text: string) => string,
  limits: RecordingLimits = RECORDING_LIMITS,
): Recording {
  if (untrusted === null || typeof untrusted !== 'object') return NO_RECORDING;
  const { calls, omitted } = untrusted as { calls?: unknown; omitted?: unknown };
  const recorder = createCallRecorder({ redact, limits });
  const list: readonly unknown[] = isArray(calls) ? calls : [];
  let dropped = Math.max(0, list.length - limits.maxCalls);
  for (const call of list.slice(0, limits.maxCalls)) {
    const { method, args } = (call ?? {}) as { method?: unknown; args?: unknown };
    if (typeof method === 'string' && isRecordedMethod(triggerId, method) && isArray(args)) {
      recorder.record(method, args);
    } else {
      dropped++;
    }
  }
  const reported = typeof omitted === 'number' && Number.isSafeInteger(omitted) && omitted > 0 ? omitted : 0;
  const kept = recorder.recording();
  return freeze({ calls: kept.calls, omitted: kept.omitted + dropped + reported });
}

/** The `api` of one run of an action on `triggerId`: `cache`, `emit`, and the trigger's recorded methods. */
export function createTriggerApi(
  triggerId: string,
  ports: { readonly cache: ActionCache; readonly emit: EmitPort; readonly record: CallRecorder['record'] },
): LogActionApi & Readonly<Record<string, unknown>> {
  const base = createActionApi({ cache: ports.cache, emit: ports.emit });
  const api: Record<string, unknown> = { cache: base.cache, emit: base.emit };
  for (const [space, names] of Object.entries(surfaceOf(triggerId))) {
    const methods: Record<string, (...args: unknown[]) => unknown> = {};
    for (const name of names) {
      const method = `api.${space}.${name}`;
      methods[name] = (...args: unknown[]) => {
        ports.record(method, args);
        return hasOwn(ANSWERS, method) ? ANSWERS[method] : api;
      };
    }
    api[space] = freeze(methods);
  }
  return freeze(api) as LogActionApi & Readonly<Record<string, unknown>>;
}

function copyArgs(
  args: readonly unknown[],
  redact: (text: string) => string,
  maxBytes: number,
): { args: readonly unknown[]; bytes: number } {
  let json: string;
  try {
    json = stringify(isArray(args) ? args : []);
  } catch (error) {
    return note(`[arguments JSON cannot represent: ${redact(describe(error)).slice(0, 200)}]`);
  }
  const rawBytes = byteLength(json, 'utf8');
  if (rawBytes > maxBytes) return note(tooLarge(rawBytes, maxBytes));
  const copy = redactJson(parse(json), redact) as unknown[];
  const copyJson = stringify(copy);
  const bytes = byteLength(copyJson, 'utf8');
  if (bytes > maxBytes) return note(tooLarge(bytes, maxBytes));
  return { args: deepFreeze(copy) as unknown[], bytes };
}

/** The error's message; what the action threw (from a toJSON) may be anything, even a throwing getter. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return 'an error that cannot be described';
  }
}

function note(text: string): { args: readonly unknown[]; bytes: number } {
  return { args: freeze([text]), bytes: byteLength(stringify([text]), 'utf8') };
}

function tooLarge(bytes: number, maxBytes: number): string {
  return `…truncated: the arguments are ${bytes} bytes as JSON; at most ${maxBytes} are kept`;
}

/** Every string (keys too) redacted; a number or boolean whose text is a secret value becomes [REDACTED]. */
function redactJson(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value);
    return redact(text) === text ? value : REDACTED;
  }
  if (isArray(value)) return value.map((item) => redactJson(item, redact));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of keysOf(value)) {
      // Defined, not assigned: JSON may hold a "__proto__" key, which assignment would treat as the prototype.
      defineProperty(out, redact(key), {
        value: redactJson((value as Record<string, unknown>)[key], redact),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function deepFreeze(value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    for (const key of keysOf(value)) deepFreeze((value as Record<string, unknown>)[key]);
    freeze(value);
  }
  return value;
}
