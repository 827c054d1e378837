/**
 * The route model: what a user writes in `config/routes.ts`. It has no CDK dependency, so local mode
 * (`npm start`) and the CDK stack read the same definitions and build the same event patterns.
 */
import type { EventStreamType } from '../../lambdas/shared/event-stream-types';
import { eventMatchPattern, LogMatchConflictError, validateEventMatch } from '../../lambdas/shared/log-match';
import type { LogTypeCode, RoutableCategory } from '../../lambdas/shared/log-types';
import type { ActionTrigger } from '../../lambdas/shared/surfaces';

/** Settings every target shares. EventBridge retries for up to `maxEventAge`, then uses the route's DLQ. */
export interface TargetRetry {
  /**
   * Names the target within its route (letters, digits, dashes). The CDK stack derives the construct id of a
   * created queue, topic or log group from it, so set it before reordering targets of the same type.
   * @default the target type, numbered from the second target of that type on (`queue`, `queue-2`, …)
   */
  readonly id?: string;
  /** @default 185 (the EventBridge maximum) */
  readonly retryAttempts?: number;
  /** @default 24 (the EventBridge maximum) */
  readonly maxEventAgeHours?: number;
}

/** An SQS queue: the one named by ARN, or a new encrypted queue when no ARN is given. */
export interface SqsTarget extends TargetRetry {
  readonly type: 'sqs';
  readonly queueArn?: string;
}

export interface LambdaTarget extends TargetRetry {
  readonly type: 'lambda';
  readonly functionArn: string;
}

/** An SNS topic: the one named by ARN, or a new encrypted topic when no ARN is given. */
export interface SnsTarget extends TargetRetry {
  readonly type: 'sns';
  readonly topicArn?: string;
}

/** A CloudWatch Logs group: the one named, or a new one `/aws/events/<bus name>/<route id>`. */
export interface LogsTarget extends TargetRetry {
  readonly type: 'logs';
  readonly logGroupName?: string;
  /** @default 30 */
  readonly retentionDays?: number;
}

/** Another event bus, in this or another account or region (the receiving bus must allow PutEvents). */
export interface EventBusTarget extends TargetRetry {
  readonly type: 'eventBus';
  readonly eventBusArn: string;
}

/** How an API destination authenticates; every credential lives in Secrets Manager, never in the template. */
export type ConnectionAuth =
  | {
      readonly kind: 'apiKey';
      readonly headerName: string;
      readonly secretArn: string;
      readonly secretJsonField?: string;
    }
  | {
      readonly kind: 'basic';
      readonly username: string;
      readonly secretArn: string;
      readonly secretJsonField?: string;
    }
  | {
      readonly kind: 'oauthClientCredentials';
      readonly authorizationEndpoint: string;
      readonly clientId: string;
      readonly secretArn: string;
      readonly secretJsonField?: string;
      readonly httpMethod?: 'GET' | 'POST' | 'PUT';
    };

/** An HTTPS endpoint, through an EventBridge API destination and connection. */
export interface ApiDestinationTarget extends TargetRetry {
  readonly type: 'apiDestination';
  readonly endpoint: string;
  /** @default 'POST' */
  readonly httpMethod?: 'POST' | 'PUT' | 'PATCH' | 'GET' | 'DELETE' | 'HEAD' | 'OPTIONS';
  readonly auth: ConnectionAuth;
  /** @default 10 */
  readonly rateLimitPerSecond?: number;
}

export type RouteTarget =
  | SqsTarget
  | LambdaTarget
  | SnsTarget
  | LogsTarget
  | EventBusTarget
  | ApiDestinationTarget;

/** Any string is accepted by the type (Auth0 adds codes); synth checks it against the catalogue. */
export type LogTypeCodeInput = LogTypeCode | (string & {});
export type CategoryInput = RoutableCategory | (string & {});
/** Either spelling Auth0 uses: `user.created` or `com.auth0.user.created`. */
export type EventStreamTypeInput = EventStreamType | `com.auth0.${EventStreamType}` | (string & {});

/**
 * Which events a route takes: log events whose code is in `codes` or whose category is in `categories`, OR
 * Auth0 Actions events of `triggers`, OR Event Streams events of `eventTypes`; the raw `pattern` then narrows
 * all of them (AND). A match with only a raw pattern narrows log events.
 */
export interface RouteMatch {
  /** Log type codes, e.g. `['f', 'fp', 'fu']`. */
  readonly codes?: readonly LogTypeCodeInput[];
  /** Official log-stream categories, e.g. `['auth.login.fail']`, or `unknown` for codes not in the catalogue. */
  readonly categories?: readonly CategoryInput[];
  /** Auth0 Actions triggers whose events the route takes (detail-type `Auth0 action: <trigger>`). */
  readonly triggers?: readonly ActionTrigger[];
  /**
   * Auth0 Event Streams types, e.g. `['user.created']` (detail-type `Auth0 event: user.created`); synth checks
   * them against `EVENT_STREAM_TYPES`.
   */
  readonly eventTypes?: readonly EventStreamTypeInput[];
  /**
   * A raw EventBridge pattern, combined (AND) with the rest of the match, e.g.
   * `{ detail: { data: { connection: ['Username-Password-Authentication'] } } }`. It applies to every event
   * the route takes, so a field only log records have (such as `detail.data.connection`) leaves out Actions
   * and Event Streams events.
   */
  readonly pattern?: Record<string, unknown>;
}

export interface RouteDefinition {
  /** Lower-case letters, digits and dashes; names the rule. Renaming it replaces the rule. */
  readonly id: string;
  readonly description: string;
  /** Codes, categories, triggers and event types are OR-ed together; the raw pattern narrows the result. */
  readonly match: RouteMatch;
  readonly targets: readonly RouteTarget[];
  /** @default true */
  readonly enabled?: boolean;
}

export class RouteDefinitionError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RouteDefinitionError';
  }
}

const ROUTE_ID = /^[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$/;

/**
 * Checks every route and throws one error listing every problem, each with the closest valid names:
 * `route "failed-logins": unknown log type code "fpp"; did you mean "fp", "fcp"?`.
 */
export function validateRoutes(routes: readonly RouteDefinition[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    const where = `route "${route.id}"`;
    if (!ROUTE_ID.test(route.id)) {
      problems.push(`${where}: the id must be 1-42 lower-case letters, digits or dashes`);
    }
    if (seen.has(route.id)) problems.push(`${where}: the id is used by another route`);
    seen.add(route.id);
    const { codes = [], categories = [], triggers = [], eventTypes = [], pattern } = route.match;
    if ([codes, categories, triggers, eventTypes].every((names) => names.length === 0) && !pattern) {
      problems.push(`${where}: match names no codes, categories, triggers, event types or pattern`);
    }
    problems.push(...validateEventMatch(route.match, where));
    if (
      pattern !== undefined &&
      (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern))
    ) {
      problems.push(`${where}: pattern must be an EventBridge event pattern object`);
    }
    if (route.targets.length === 0) problems.push(`${where}: it has no targets`);
    if (route.targets.length > 5) problems.push(`${where}: EventBridge allows at most 5 targets per rule`);
  }
  if (problems.length > 0) {
    throw new RouteDefinitionError(`Invalid routes in config/routes.ts:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * The EventBridge pattern for a route: events from our source that are log events of its codes or categories,
 * Actions events of its triggers or Event Streams events of its event types, narrowed by the raw `pattern`.
 * A route naming only codes and categories gets the pattern it always had (`Auth0 log` detail-type, no `$or`
 * beyond codes-or-categories).
 */
export function eventPatternFor(route: RouteDefinition, source: string): Record<string, unknown> {
  try {
    return eventMatchPattern(route.match, source);
  } catch (error) {
    if (!(error instanceof LogMatchConflictError)) throw error;
    throw new RouteDefinitionError(
      `route "${route.id}": the raw pattern sets "${error.path}", which the route already sets from its codes, categories or source`,
      { cause: error },
    );
  }
}

export const isEnabled = (route: RouteDefinition): boolean => route.enabled !== false;
