/**
 * What the management function needs to serve the operator's routes (quarantine, replay, status), and the one
 * place that names its environment variables: CDK (lib/module-registry.ts) writes them with
 * `operationsEnvironment`, the handler reads them with `loadOperationsConfig`. Local mode builds the same
 * `OperationsConfig` in code (local/operations.ts).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type Environment, integerIn, requiredIn } from '../shared/config';
import { ConfigurationError } from '../shared/errors';

/** One route of config/routes.ts as the replay sees it: which rule it is, and which log events it takes. */
export interface OperationsRoute {
  readonly id: string;
  readonly ruleArn: string;
  readonly codes: readonly string[];
  readonly categories: readonly string[];
  /** It also takes Actions events (triggers) or Event Streams events (event types). */
  readonly otherSurfaces: boolean;
  /** A raw `pattern` narrows what it takes. */
  readonly narrowed: boolean;
  readonly enabled: boolean;
}

export interface OperationsConfig {
  readonly quarantineQueueUrl: string;
  /** The bucket the quarantine stores large records in; `record_location`s elsewhere are not read. */
  readonly claimCheckBucket: string;
  /** The ingest's URL (`https://<id>.lambda-url.<region>.on.aws/` or the local server's). */
  readonly ingestUrl: string;
  /** The Secrets Manager secret holding `{"token": …}`: the ingest token the redrive posts with. */
  readonly tokenSecretId: string;
  readonly dedupTableName: string;
  readonly busArn: string;
  readonly archiveArn: string;
  /** Days the archive keeps events; 0 keeps them forever. */
  readonly archiveRetentionDays: number;
  /** Replays are named `<replayPrefix>…`; the function may start and read no other. */
  readonly replayPrefix: string;
  readonly routes: readonly OperationsRoute[];
  /** The stack's alarms are named `<alarmNamePrefix>…` (lib/operations.ts). */
  readonly alarmNamePrefix: string;
  /**
   * The stack's alarms, by full name: another stack whose name starts with this one's has alarms with the
   * same prefix. Empty: every alarm of the prefix.
   */
  readonly alarmNames: readonly string[];
  /** The ingest's EMF namespace; its metrics carry the dimension `service=ingest`. */
  readonly metricsNamespace: string;
}

export const OPERATIONS_ENVIRONMENT = {
  quarantineQueueUrl: 'OPERATIONS_QUARANTINE_QUEUE_URL',
  claimCheckBucket: 'OPERATIONS_CLAIM_CHECK_BUCKET',
  ingestUrl: 'OPERATIONS_INGEST_URL',
  tokenSecretId: 'OPERATIONS_TOKEN_SECRET_ID',
  dedupTableName: 'OPERATIONS_DEDUP_TABLE',
  busArn: 'OPERATIONS_BUS_ARN',
  archiveArn: 'OPERATIONS_ARCHIVE_ARN',
  archiveRetentionDays: 'OPERATIONS_ARCHIVE_RETENTION_DAYS',
  replayPrefix: 'OPERATIONS_REPLAY_PREFIX',
  routes: 'OPERATIONS_ROUTES',
  routeRules: 'OPERATIONS_ROUTE_RULES',
  alarmNamePrefix: 'OPERATIONS_ALARM_PREFIX',
  /** The alarms' names after the prefix, comma-separated. */
  alarmNames: 'OPERATIONS_ALARMS',
  metricsNamespace: 'OPERATIONS_METRICS_NAMESPACE',
} as const satisfies Record<keyof OperationsConfig | 'routeRules', string>;

/**
 * A route's match as the environment carries it: short keys, empty lists and false flags left out, the whole
 * list gzipped (a Lambda function's variables share 4 KB, and routes can list dozens of codes). Its rule goes
 * in a variable of its own (`OPERATIONS_ROUTE_RULES`, names in the same order), since a rule's name is known
 * only at deploy time when CloudFormation makes it up.
 */
export interface EncodedRoute {
  readonly id: string;
  readonly codes?: readonly string[];
  readonly categories?: readonly string[];
  readonly other?: 1;
  readonly narrowed?: 1;
  readonly disabled?: 1;
}

/** A route definition's facts, as the CDK stack knows them. */
export interface RouteFacts {
  readonly id: string;
  /**
   * The rule's name (a token when CloudFormation makes it up), or '' for the usual `<bus name>-<route id>`,
   * which costs nothing in the environment.
   */
  readonly ruleName: string;
  readonly match: {
    readonly codes?: readonly string[];
    readonly categories?: readonly string[];
    readonly triggers?: readonly string[];
    readonly eventTypes?: readonly string[];
    readonly pattern?: Record<string, unknown>;
  };
  readonly enabled?: boolean;
}

/** The two variables of the routes: their matches (gzip, base64) and their rule names (comma-separated). */
export function encodeRoutes(routes: readonly RouteFacts[]): {
  readonly routes: string;
  readonly routeRules: string;
} {
  const encoded: EncodedRoute[] = routes.map(({ id, match, enabled }) => ({
    id,
    ...(match.codes?.length ? { codes: [...match.codes] } : {}),
    ...(match.categories?.length ? { categories: [...match.categories] } : {}),
    ...(match.triggers?.length || match.eventTypes?.length ? { other: 1 as const } : {}),
    ...(match.pattern && Object.keys(match.pattern).length > 0 ? { narrowed: 1 as const } : {}),
    ...(enabled === false ? { disabled: 1 as const } : {}),
  }));
  return {
    routes: gzipSync(JSON.stringify(encoded), { level: 9 }).toString('base64'),
    // Rule names are [.\-_A-Za-z0-9]+: a comma cannot be part of one.
    routeRules: routes.map(({ ruleName }) => ruleName).join(','),
  };
}

/** `<bus name>-<route id>`: what rules are named unless that passes 64 characters (lib/routes.ts, local mode). */
export function defaultRuleName(busName: string, routeId: string): string | undefined {
  const name = `${busName}-${routeId}`;
  return name.length <= 64 ? name : undefined;
}

function busNameOf(busArn: string): string {
  return busArn.split('/').at(-1) ?? '';
}

/** `arn:…:event-bus/<bus>` and a rule name → `arn:…:rule/<bus>/<rule>` (the ARN of a rule on a custom bus). */
export function ruleArnOf(busArn: string, ruleName: string): string {
  const match = /^(arn:[^:]+:events:[^:]*:[^:]*:)event-bus\/(.+)$/.exec(busArn);
  if (!match) throw new ConfigurationError(`Not an event bus ARN: ${JSON.stringify(busArn)}`);
  const [, head, bus] = match;
  return bus === 'default' ? `${head}rule/${ruleName}` : `${head}rule/${bus}/${ruleName}`;
}

export function decodeRoutes(routes: string, routeRules: string, busArn: string): OperationsRoute[] {
  const key = OPERATIONS_ENVIRONMENT.routes;
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(Buffer.from(routes, 'base64')).toString('utf8'));
  } catch {
    throw new ConfigurationError(`${key} must be the base64 of a gzipped JSON array of routes`);
  }
  if (!Array.isArray(parsed)) throw new ConfigurationError(`${key} must hold a JSON array of routes`);
  const rules = parsed.length === 0 ? [] : routeRules.split(',');
  if (rules.length !== parsed.length) {
    throw new ConfigurationError(
      `${OPERATIONS_ENVIRONMENT.routeRules} names ${rules.length} rules for ${parsed.length} routes in ${key}`,
    );
  }
  return parsed.map((entry: EncodedRoute, index) => {
    if (typeof entry?.id !== 'string') throw new ConfigurationError(`${key}[${index}] has no "id" string`);
    const ruleName = rules[index] || defaultRuleName(busNameOf(busArn), entry.id);
    if (!ruleName)
      throw new ConfigurationError(
        `${OPERATIONS_ENVIRONMENT.routeRules} names no rule for route ${entry.id}`,
      );
    return {
      id: entry.id,
      ruleArn: ruleArnOf(busArn, ruleName),
      codes: entry.codes ?? [],
      categories: entry.categories ?? [],
      otherSurfaces: entry.other === 1,
      narrowed: entry.narrowed === 1,
      enabled: entry.disabled !== 1,
    };
  });
}

/**
 * The variables for the values given (CDK tokens are fine); the routes as `encodeRoutes` makes them, the
 * alarms as their names after the prefix, comma-separated (alarm names hold no comma).
 */
export function operationsEnvironment(
  values: Record<Exclude<keyof OperationsConfig, 'routes' | 'alarmNames'>, string> &
    ReturnType<typeof encodeRoutes> & { readonly alarmNames: string },
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [field, value] of Object.entries(values)) {
    variables[OPERATIONS_ENVIRONMENT[field as keyof typeof OPERATIONS_ENVIRONMENT]] = value;
  }
  return variables;
}

/** Whether the environment serves the operations routes at all (a stack deployed before them does not). */
export function hasOperationsEnvironment(env: Environment = process.env): boolean {
  return Boolean(env[OPERATIONS_ENVIRONMENT.quarantineQueueUrl]);
}

export function loadOperationsConfig(env: Environment = process.env): OperationsConfig {
  const names = OPERATIONS_ENVIRONMENT;
  const busArn = requiredIn(env, names.busArn);
  return {
    quarantineQueueUrl: requiredIn(env, names.quarantineQueueUrl),
    claimCheckBucket: requiredIn(env, names.claimCheckBucket),
    ingestUrl: requiredIn(env, names.ingestUrl),
    tokenSecretId: requiredIn(env, names.tokenSecretId),
    dedupTableName: requiredIn(env, names.dedupTableName),
    busArn,
    archiveArn: requiredIn(env, names.archiveArn),
    archiveRetentionDays: integerIn(env, names.archiveRetentionDays, 0),
    replayPrefix: requiredIn(env, names.replayPrefix),
    routes: decodeRoutes(requiredIn(env, names.routes), env[names.routeRules]?.trim() ?? '', busArn),
    alarmNamePrefix: requiredIn(env, names.alarmNamePrefix),
    alarmNames: (env[names.alarmNames] ?? '')
      .split(',')
      .filter((name) => name.trim() !== '')
      .map((name) => `${requiredIn(env, names.alarmNamePrefix)}${name.trim()}`),
    metricsNamespace: requiredIn(env, names.metricsNamespace),
  };
}

/** Replay names: 1-64 of `[.\-_A-Za-z0-9]`; the prefix leaves room for a time stamp and a suffix. */
export function replayPrefixFor(busName: string): string {
  return `${busName.replace(/[^.\-_A-Za-z0-9]/g, '-').slice(0, 32)}-replay-`;
}
