import { RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { editDistance } from '../lambdas/shared/suggest';
import type { Auth0EventBridgeStackProps } from './auth0-event-bridge-stack';
import type { DedupBillingMode } from './dedup-capacity';
import { InvalidPropsError } from './validation';

export const DEFAULT_STACK_NAME = 'Auth0EventBridge';

type Kind = 'string' | 'integer' | 'removalPolicy' | 'logRetention';

/** Every context key the app reads (`npx cdk deploy -c key=value`, or `context` in cdk.json), and its prop. */
export const CONTEXT_KEYS = {
  stackName: { kind: 'string', help: 'stack name (default Auth0EventBridge)' },
  busName: { kind: 'string', help: 'event bus name (default auth0-events)' },
  eventSource: { kind: 'string', help: 'event source (default auth0.logs)' },
  archiveRetentionDays: { kind: 'integer', help: 'days the archive keeps events, 0 = forever (default 30)' },
  reservedConcurrency: {
    kind: 'integer',
    help: 'reserved concurrency of the ingest function (default none)',
  },
  ingestMemorySize: { kind: 'integer', help: 'ingest function memory in MB (default 512)' },
  dedupTtlDays: { kind: 'integer', help: 'days a log_id is remembered (default 7)' },
  dedupBilling: { kind: 'string', help: 'dedup table billing: on-demand (default) or provisioned' },
  dedupMinWriteCapacity: { kind: 'integer', help: 'provisioned dedup table: minimum WCU (default 5)' },
  dedupMaxWriteCapacity: { kind: 'integer', help: 'provisioned dedup table: maximum WCU (default 1000)' },
  dedupTargetUtilization: {
    kind: 'integer',
    help: 'provisioned dedup table: auto scaling target in percent, 20-90 (default 70)',
  },
  maxBodyBytes: { kind: 'integer', help: 'largest accepted body in bytes (default 5 MiB)' },
  putEventsMaxBytes: { kind: 'integer', help: 'PutEvents request size limit in bytes (default 262144)' },
  claimCheckRetentionDays: {
    kind: 'integer',
    help: 'days claim-check objects are kept, 0 = forever (default 90)',
  },
  queueRetentionDays: {
    kind: 'integer',
    help: 'days quarantine and dead-letter messages are kept (default 14)',
  },
  logRetentionDays: { kind: 'logRetention', help: 'ingest log retention in days (default 30)' },
  metricsNamespace: {
    kind: 'string',
    help: 'CloudWatch namespace of the ingest metrics (default Auth0EventBridge)',
  },
  dataRemovalPolicy: { kind: 'removalPolicy', help: 'retain (default) or destroy' },
  alarmEmail: { kind: 'string', help: 'email address notified by the alarms' },
  alarmTopicArn: { kind: 'string', help: 'existing SNS topic notified by the alarms' },
  schemaRegistryName: { kind: 'string', help: 'schema registry name (default: the bus name)' },
  modulesSecretsPrefix: {
    kind: 'string',
    help: 'Action Module secrets are named <prefix>/modules/<id> (default: the bus name)',
  },
} as const satisfies Record<string, { kind: Kind; help: string }>;

export type ContextKey = keyof typeof CONTEXT_KEYS;

export interface AppSettings {
  readonly stackName: string;
  readonly props: Auth0EventBridgeStackProps;
}

/**
 * Reads the app's context into stack props, and fails with the key, the value and what was expected. Values
 * from `-c key=value` arrive as strings, values from cdk.json as JSON; both are accepted. A key that looks
 * like a misspelt one of ours (`-c busname=…`) fails with the suggestion rather than being ignored.
 */
export function settingsFromContext(node: Node): AppSettings {
  const known = Object.keys(CONTEXT_KEYS);
  const all = node.getAllContext() as Record<string, unknown>;
  for (const key of Object.keys(all)) {
    if (known.includes(key) || /[:@/]/.test(key)) continue;
    const suggestions = known.filter((candidate) => looksLikeTypo(key, candidate));
    if (suggestions.length > 0) {
      throw new InvalidPropsError(
        `Unknown context key "${key}"; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?`,
      );
    }
  }

  const read = <K extends ContextKey>(key: K) => parse(key, CONTEXT_KEYS[key].kind, node.tryGetContext(key));
  const string = (key: ContextKey) => read(key) as string | undefined;
  const integer = (key: ContextKey) => read(key) as number | undefined;

  return {
    stackName: string('stackName') ?? DEFAULT_STACK_NAME,
    props: {
      busName: string('busName'),
      eventSource: string('eventSource'),
      archiveRetentionDays: integer('archiveRetentionDays'),
      reservedConcurrency: integer('reservedConcurrency'),
      ingestMemorySize: integer('ingestMemorySize'),
      dedupTtlDays: integer('dedupTtlDays'),
      dedupBilling: string('dedupBilling') as DedupBillingMode | undefined,
      dedupMinWriteCapacity: integer('dedupMinWriteCapacity'),
      dedupMaxWriteCapacity: integer('dedupMaxWriteCapacity'),
      dedupTargetUtilization: integer('dedupTargetUtilization'),
      maxBodyBytes: integer('maxBodyBytes'),
      putEventsMaxBytes: integer('putEventsMaxBytes'),
      claimCheckRetentionDays: integer('claimCheckRetentionDays'),
      queueRetentionDays: integer('queueRetentionDays'),
      logRetention: read('logRetentionDays') as RetentionDays | undefined,
      metricsNamespace: string('metricsNamespace'),
      dataRemovalPolicy: read('dataRemovalPolicy') as RemovalPolicy | undefined,
      alarmEmail: string('alarmEmail'),
      alarmTopicArn: string('alarmTopicArn'),
      schemaRegistryName: string('schemaRegistryName'),
      modulesSecretsPrefix: string('modulesSecretsPrefix'),
    },
  };
}

const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function parse(key: string, kind: Kind, raw: unknown): unknown {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const fail = (expected: string): never => {
    throw new InvalidPropsError(`Context "${key}" must be ${expected}, got ${JSON.stringify(raw)}`);
  };
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? raw.trim() : fail('a string');
    case 'integer': {
      const value =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)
            ? Number(raw)
            : NaN;
      return Number.isSafeInteger(value) && value >= 0 ? value : fail('a whole number');
    }
    case 'logRetention': {
      const value = Number(raw);
      return LOG_RETENTION_DAYS.includes(value) ? value : fail(`one of ${LOG_RETENTION_DAYS.join(', ')}`);
    }
    case 'removalPolicy': {
      const value = String(raw).toLowerCase();
      if (value === 'retain') return RemovalPolicy.RETAIN;
      if (value === 'destroy') return RemovalPolicy.DESTROY;
      return fail('"retain" or "destroy"');
    }
  }
}

/** Close enough to be a misspelling (case, or at most two edits) rather than somebody else's context key. */
function looksLikeTypo(key: string, candidate: string): boolean {
  const a = key.toLowerCase();
  const b = candidate.toLowerCase();
  if (a === b) return true;
  if (Math.min(a.length, b.length) < 5) return false;
  return editDistance(a, b) <= 2;
}
