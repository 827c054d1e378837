/**
 * The EventBridge rules that deliver a trigger's events to the actions bound to it: one rule per binding,
 * named under a prefix the registry owns. `desiredRules` (pure) turns bindings into rules; a `BindingRules`
 * port makes the bus hold exactly those; `EventBridgeBindingRules` is that port on EventBridge.
 */
import { createHash } from 'node:crypto';
import {
  DeleteRuleCommand,
  type EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  type Rule,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { mapWithConcurrency } from '../../shared/concurrency';
import { BindingRulesError, InvalidBindingsError } from './errors';
import { type BindingMatch, getTrigger, validateBindingMatch } from './triggers';

/** Where a binding's rule delivers, and how EventBridge retries before it gives up to the DLQ. */
export interface RuleTarget {
  /** Names the target within its rule. */
  readonly id: string;
  readonly arn: string;
  /** The role EventBridge assumes to reach the target, for targets that need one. */
  readonly roleArn?: string;
  /** The action always receives the whole event: no input override or transformer. */
  readonly input?: never;
  /** 60 to 86 400. */
  readonly maxEventAgeSeconds: number;
  /** 0 to 185. */
  readonly maxRetryAttempts: number;
  /** An SQS queue for events EventBridge could not deliver. */
  readonly deadLetterArn: string;
}

export interface DesiredRule {
  /** Deterministic, derived by the caller (`ruleNameFor`); starts with the adapter's prefix. */
  readonly name: string;
  readonly description: string;
  readonly eventPattern: object;
  readonly target: RuleTarget;
}

/** A rule under the adapter's prefix, as the bus holds it now. */
export interface ManagedRule {
  readonly name: string;
  readonly arn?: string;
  readonly description?: string;
  readonly eventPattern?: object;
  readonly state?: string;
}

/**
 * The rules of the action bindings. Only rules whose names start with the adapter's prefix are ever read,
 * written or deleted. Callers serialize `sync` calls: two at once can each delete what the other just wrote.
 */
export interface BindingRules {
  /**
   * Makes the managed rules exactly `desired`: creates or updates each (rule and target), then deletes the
   * managed rules not in it. Idempotent. Throws `BindingRulesError` before any change when a desired rule is
   * not one it may manage.
   */
  sync(desired: readonly DesiredRule[]): Promise<void>;
  list(): Promise<ManagedRule[]>;
}

/** An action bound to a trigger, in the order the registry keeps them. */
export interface Binding {
  readonly triggerId: string;
  readonly actionId: string;
  readonly actionName: string;
  readonly match?: BindingMatch;
}

export interface DesiredRulesOptions {
  /** The `source` of the events on the bus, e.g. `auth0.logs`. */
  readonly source: string;
  /** The rule name prefix the `BindingRules` adapter manages, e.g. `a0b-action-`. */
  readonly prefix: string;
  /** Where a binding's events go: usually the action runner, with the actions DLQ. */
  readonly targetFor: (binding: Binding) => RuleTarget;
}

/** Tag on every rule the adapter creates, so a person looking at the bus knows not to edit it by hand. */
export const MANAGED_BY_TAG = 'a0bridge:managed-by';
export const MANAGED_BY_VALUE = 'action-bindings';

const RULE_NAME_MAX = 64;
const DESCRIPTION_MAX = 512;
const NAME_CHARS = /^[.\-_A-Za-z0-9]+$/;
const HASH_LENGTH = 16;
/** Leaves room for at least a few readable characters, a dash and the hash in every name. */
const PREFIX_MAX = 40;

/**
 * The rule name of a binding: `<prefix><actionId>.<triggerId>` when that is a valid name of at most 64
 * characters, else `<prefix><readable part>-<16 hex of SHA-256>`. The dot never appears in the hashed form,
 * so the two forms cannot collide; the same binding always gets the same name.
 */
export function ruleNameFor(prefix: string, actionId: string, triggerId: string): string {
  assertPrefix(prefix);
  const plain = `${prefix}${actionId}.${triggerId}`;
  const dots = (name: string) => name.split('.').length - 1;
  if (
    plain.length <= RULE_NAME_MAX &&
    NAME_CHARS.test(plain) &&
    dots(actionId) === 0 &&
    dots(triggerId) === 0
  ) {
    return plain;
  }
  const hash = createHash('sha256').update(`${actionId}\n${triggerId}`).digest('hex').slice(0, HASH_LENGTH);
  const readable = `${actionId}-${triggerId}`.replace(/[^-_A-Za-z0-9]/g, '-');
  const room = RULE_NAME_MAX - prefix.length - 1 - HASH_LENGTH;
  return `${prefix}${readable.slice(0, room)}-${hash}`;
}

/**
 * The rules for `bindings`, in their order: one per binding, named by `ruleNameFor`, with the trigger's
 * pattern for the binding's match. Throws `InvalidBindingsError` listing every problem (unknown or not yet
 * bindable triggers, invalid matches, an action bound twice to one trigger) before building any.
 */
export function desiredRules(bindings: readonly Binding[], options: DesiredRulesOptions): DesiredRule[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const binding of bindings) {
    const where = `action "${binding.actionName}" (${binding.actionId})`;
    const matchProblems = validateBindingMatch(binding.triggerId, binding.match);
    problems.push(...matchProblems.map((problem) => `${where}: ${problem}`));
    const key = `${binding.actionId}\n${binding.triggerId}`;
    if (seen.has(key)) problems.push(`${where}: is bound to "${binding.triggerId}" more than once`);
    seen.add(key);
  }
  if (problems.length > 0) throw new InvalidBindingsError(problems);

  return bindings.map((binding) => {
    const trigger = getTrigger(binding.triggerId);
    return {
      name: ruleNameFor(options.prefix, binding.actionId, binding.triggerId),
      description: `Runs action "${binding.actionName}" (${binding.actionId}) on ${trigger.id} events`.slice(
        0,
        DESCRIPTION_MAX,
      ),
      eventPattern: trigger.pattern(binding.match, options.source),
      target: options.targetFor(binding),
    };
  });
}

export interface EventBridgeBindingRulesOptions {
  readonly busName: string;
  /** Every rule whose name starts with it belongs to this adapter, so no other rule on the bus may. */
  readonly prefix: string;
  /** Tags for the rules it creates, on top of `a0bridge:managed-by` (which these may override). */
  readonly tags: Readonly<Record<string, string>>;
}

/** Parallel control-plane calls: EventBridge throttles these at low rates (the SDK retries throttled ones). */
const CONCURRENCY = 4;
/** RemoveTargets takes at most this many ids. */
const REMOVE_BATCH = 100;

/**
 * `BindingRules` on an EventBridge bus. Managed rules are found by name prefix (ListRules NamePrefix, every
 * page, then checked again here); the tag is for people, not for finding them. AWS-managed rules (ones with
 * `ManagedBy`) are never touched.
 */
export class EventBridgeBindingRules implements BindingRules {
  private readonly client: EventBridgeClient;
  private readonly busName: string;
  private readonly prefix: string;
  private readonly tags: { Key: string; Value: string }[];

  public constructor(client: EventBridgeClient, options: EventBridgeBindingRulesOptions) {
    assertPrefix(options.prefix);
    if (!options.busName) throw new BindingRulesError('busName is empty; expected the name of the event bus');
    this.client = client;
    this.busName = options.busName;
    this.prefix = options.prefix;
    this.tags = Object.entries({ [MANAGED_BY_TAG]: MANAGED_BY_VALUE, ...options.tags }).map(
      ([Key, Value]) => ({ Key, Value }),
    );
  }

  public async sync(desired: readonly DesiredRule[]): Promise<void> {
    this.check(desired);
    const current = await this.listRules();
    const existing = new Map(current.map((rule) => [rule.Name, rule]));
    await mapWithConcurrency(desired, CONCURRENCY, (rule) => this.apply(rule, existing.get(rule.name)));
    const wanted = new Set(desired.map((rule) => rule.name));
    const stale = current.filter((rule) => !wanted.has(rule.Name ?? ''));
    await mapWithConcurrency(stale, CONCURRENCY, (rule) => this.delete(rule.Name ?? ''));
  }

  public async list(): Promise<ManagedRule[]> {
    return (await this.listRules()).map((rule) => ({
      name: rule.Name ?? '',
      arn: rule.Arn,
      description: rule.Description,
      eventPattern: rule.EventPattern ? (JSON.parse(rule.EventPattern) as object) : undefined,
      state: rule.State,
    }));
  }

  /** Deletes every managed rule and its targets, e.g. before the bus is deleted, so the delete is not blocked. */
  public deleteAllManaged(): Promise<void> {
    return this.sync([]);
  }

  private check(desired: readonly DesiredRule[]): void {
    const problems: string[] = [];
    const names = new Set<string>();
    for (const rule of desired) {
      const where = `rule "${rule.name}"`;
      if (!rule.name.startsWith(this.prefix)) {
        problems.push(
          `${where}: does not start with "${this.prefix}", so it is not a rule this adapter manages`,
        );
      }
      if (rule.name.length > RULE_NAME_MAX || !NAME_CHARS.test(rule.name)) {
        problems.push(`${where}: a rule name is 1-64 letters, digits, dots, dashes or underscores`);
      }
      if (names.has(rule.name)) problems.push(`${where}: appears more than once`);
      names.add(rule.name);
      const { target } = rule;
      if (!NAME_CHARS.test(target.id) || target.id.length > RULE_NAME_MAX) {
        problems.push(
          `${where}: target id "${target.id}" is not 1-64 letters, digits, dots, dashes or underscores`,
        );
      }
      if (
        !Number.isInteger(target.maxRetryAttempts) ||
        target.maxRetryAttempts < 0 ||
        target.maxRetryAttempts > 185
      ) {
        problems.push(
          `${where}: maxRetryAttempts is ${target.maxRetryAttempts}; expected an integer from 0 to 185`,
        );
      }
      if (
        !Number.isInteger(target.maxEventAgeSeconds) ||
        target.maxEventAgeSeconds < 60 ||
        target.maxEventAgeSeconds > 86_400
      ) {
        problems.push(
          `${where}: maxEventAgeSeconds is ${target.maxEventAgeSeconds}; expected an integer from 60 to 86400`,
        );
      }
      if (!target.deadLetterArn) problems.push(`${where}: the target has no deadLetterArn`);
      if ((target as { input?: unknown }).input !== undefined) {
        problems.push(`${where}: the target sets input; the action must receive the whole event`);
      }
    }
    if (problems.length > 0) {
      throw new BindingRulesError(
        `Refusing to sync the action binding rules:\n  - ${problems.join('\n  - ')}`,
      );
    }
  }

  private async apply(rule: DesiredRule, existing: Rule | undefined): Promise<void> {
    if (!existing || !ruleMatches(existing, rule)) {
      await this.client.send(
        new PutRuleCommand({
          Name: rule.name,
          EventBusName: this.busName,
          Description: rule.description.slice(0, DESCRIPTION_MAX),
          EventPattern: JSON.stringify(rule.eventPattern),
          State: 'ENABLED',
          // Tags on PutRule apply when the rule is created; an update leaves them as they are.
          ...(existing ? {} : { Tags: this.tags }),
        }),
      );
    }
    const wanted = toTarget(rule.target);
    const targets = existing ? await this.listTargets(rule.name) : [];
    const others = targets.filter((target) => target.Id !== wanted.Id).map((target) => target.Id ?? '');
    await this.removeTargets(rule.name, others);
    const current = targets.find((target) => target.Id === wanted.Id);
    if (current && canonical(normalizeTarget(current)) === canonical(normalizeTarget(wanted))) return;
    const output = await this.client.send(
      new PutTargetsCommand({ Rule: rule.name, EventBusName: this.busName, Targets: [wanted] }),
    );
    if (output.FailedEntryCount) {
      throw new BindingRulesError(
        `PutTargets failed for rule "${rule.name}": ${describeFailures(output.FailedEntries)}`,
      );
    }
  }

  private async delete(name: string): Promise<void> {
    try {
      const targets = await this.listTargets(name);
      await this.removeTargets(
        name,
        targets.map((target) => target.Id ?? ''),
      );
      await this.client.send(new DeleteRuleCommand({ Name: name, EventBusName: this.busName }));
    } catch (error) {
      // Someone (a concurrent sync, a person) deleted it first: the outcome we want.
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
  }

  private async removeTargets(rule: string, ids: readonly string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += REMOVE_BATCH) {
      const output = await this.client.send(
        new RemoveTargetsCommand({
          Rule: rule,
          EventBusName: this.busName,
          Ids: ids.slice(start, start + REMOVE_BATCH),
        }),
      );
      if (output.FailedEntryCount) {
        throw new BindingRulesError(
          `RemoveTargets failed for rule "${rule}": ${describeFailures(output.FailedEntries)}`,
        );
      }
    }
  }

  /** Every rule under the prefix, all pages read before anything is changed. */
  private async listRules(): Promise<Rule[]> {
    const rules: Rule[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListRulesCommand({ EventBusName: this.busName, NamePrefix: this.prefix, NextToken: nextToken }),
      );
      rules.push(...(page.Rules ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    // Checked here as well: the prefix is the whole ownership contract, so it is not left to the service alone.
    return rules.filter((rule) => rule.Name?.startsWith(this.prefix) && !rule.ManagedBy);
  }

  private async listTargets(rule: string): Promise<Target[]> {
    const targets: Target[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListTargetsByRuleCommand({ Rule: rule, EventBusName: this.busName, NextToken: nextToken }),
      );
      targets.push(...(page.Targets ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return targets;
  }
}

function assertPrefix(prefix: string): void {
  // An empty prefix would make every rule on the bus the adapter's to delete.
  if (!prefix || prefix.length > PREFIX_MAX || !NAME_CHARS.test(prefix)) {
    throw new BindingRulesError(
      `The rule name prefix "${prefix}" is not valid; expected 1-${PREFIX_MAX} letters, digits, dots, dashes or underscores, e.g. "a0b-action-"`,
    );
  }
}

function toTarget(target: RuleTarget): Target {
  return {
    Id: target.id,
    Arn: target.arn,
    ...(target.roleArn ? { RoleArn: target.roleArn } : {}),
    RetryPolicy: {
      MaximumRetryAttempts: target.maxRetryAttempts,
      MaximumEventAgeInSeconds: target.maxEventAgeSeconds,
    },
    DeadLetterConfig: { Arn: target.deadLetterArn },
  };
}

/** The parts of a target this adapter sets; anything else on it (an input, a transformer) counts as a change. */
function normalizeTarget(target: Target): unknown {
  const { Id, Arn, RoleArn, RetryPolicy, DeadLetterConfig, ...rest } = target;
  return {
    Id,
    Arn,
    RoleArn,
    RetryPolicy: {
      MaximumRetryAttempts: RetryPolicy?.MaximumRetryAttempts,
      MaximumEventAgeInSeconds: RetryPolicy?.MaximumEventAgeInSeconds,
    },
    DeadLetterArn: DeadLetterConfig?.Arn,
    rest: Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
  };
}

function ruleMatches(existing: Rule, rule: DesiredRule): boolean {
  if (existing.State !== 'ENABLED') return false;
  if ((existing.Description ?? '') !== rule.description.slice(0, DESCRIPTION_MAX)) return false;
  if (!existing.EventPattern) return false;
  try {
    return canonical(JSON.parse(existing.EventPattern)) === canonical(rule.eventPattern);
  } catch {
    return false; // an unreadable pattern is rewritten
  }
}

/** JSON with object keys sorted, so equal patterns compare equal however EventBridge orders them. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function describeFailures(entries: readonly { ErrorCode?: string; ErrorMessage?: string }[] = []): string {
  return entries
    .map((entry) => `${entry.ErrorCode ?? 'Error'}: ${entry.ErrorMessage ?? 'no message'}`)
    .join('; ');
}
