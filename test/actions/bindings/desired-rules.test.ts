import { describe, expect, it } from 'vitest';
import { BindingRulesError, InvalidBindingsError } from '../../../lambdas/actions/bindings/errors';
import {
  type Binding,
  desiredRules,
  type RuleTarget,
  ruleNameFor,
} from '../../../lambdas/actions/bindings/rules';
import { ACTION_TRIGGERS } from '../../../lambdas/shared/surfaces';

const PREFIX = 'a0b-action-';
const ACTION = '0190c3e2-7a1b-7c2d-8e3f-0123456789ab';
const target = (binding: Binding): RuleTarget => ({
  id: 'runner',
  arn: `arn:aws:lambda:eu-west-1:111111111111:function:runner-${binding.actionName}`,
  maxEventAgeSeconds: 3600,
  maxRetryAttempts: 10,
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111111111111:actions-dlq',
});
const options = { source: 'auth0.logs', prefix: PREFIX, targetFor: target };

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('ruleNameFor', () => {
  it('joins prefix, action id and trigger id when that fits in 64 characters', () => {
    expect(ruleNameFor(PREFIX, ACTION, 'auth0-log')).toBe(`${PREFIX}${ACTION}.auth0-log`);
  });

  it('hashes names that would be too long, within 64 characters and deterministically', () => {
    const name = ruleNameFor(PREFIX, ACTION, 'password-reset-post-challenge');
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^a0b-action-[-_A-Za-z0-9]+-[0-9a-f]{16}$/);
    expect(ruleNameFor(PREFIX, ACTION, 'password-reset-post-challenge')).toBe(name);
    // Differs from a binding whose readable part is truncated to the same characters.
    expect(ruleNameFor(PREFIX, ACTION, 'custom-token-exchange')).not.toBe(name);
  });

  it('hashes ids with characters a rule name cannot hold, so they cannot collide with a plain name', () => {
    const withDot = ruleNameFor(PREFIX, 'a.b', 'auth0-log');
    const plain = ruleNameFor(PREFIX, 'a', 'b.auth0-log');
    expect(withDot).not.toContain('.');
    expect(withDot).not.toBe(plain);
    expect(ruleNameFor(PREFIX, 'ação/1', 'auth0-log')).toMatch(/^a0b-action-a--o-1-auth0-log-[0-9a-f]{16}$/);
  });

  it('refuses an empty or invalid prefix', () => {
    expect(() => ruleNameFor('', ACTION, 'auth0-log')).toThrow(BindingRulesError);
    expect(() => ruleNameFor('a0b action ', ACTION, 'auth0-log')).toThrow(
      /prefix "a0b action " is not valid/,
    );
  });
});

describe('desiredRules', () => {
  it('turns bindings into rules, in order, with the trigger pattern and the caller target', () => {
    // GIVEN two bindings
    const bindings: Binding[] = [
      { triggerId: 'auth0-log', actionId: ACTION, actionName: 'notify', match: { codes: ['fp'] } },
      { triggerId: 'auth0-log', actionId: 'other', actionName: 'audit' },
    ];
    // WHEN
    const rules = desiredRules(bindings, options);
    // THEN
    expect(rules).toEqual([
      {
        name: `${PREFIX}${ACTION}.auth0-log`,
        description: `Runs action "notify" (${ACTION}) on auth0-log events`,
        eventPattern: {
          source: ['auth0.logs'],
          'detail-type': ['Auth0 log'],
          detail: { data: { type: ['fp'] } },
        },
        target: target(bindings[0] as Binding),
      },
      {
        name: `${PREFIX}other.auth0-log`,
        description: 'Runs action "audit" (other) on auth0-log events',
        eventPattern: { source: ['auth0.logs'], 'detail-type': ['Auth0 log'] },
        target: target(bindings[1] as Binding),
      },
    ]);
  });

  it('turns a binding of each Auth0 Actions trigger into a rule on that trigger’s detail-type', () => {
    // GIVEN one action bound to every trigger but auth0-log
    const bindings: Binding[] = ACTION_TRIGGERS.map((triggerId) => ({
      triggerId,
      actionId: ACTION,
      actionName: 'notify',
    }));
    // WHEN
    const rules = desiredRules(bindings, options);
    // THEN each rule matches the ingest's source and its trigger's detail-type, and nothing else
    expect(rules.map((rule) => [rule.name, rule.eventPattern])).toEqual(
      ACTION_TRIGGERS.map((triggerId) => [
        ruleNameFor(PREFIX, ACTION, triggerId),
        { source: ['auth0.logs'], 'detail-type': [`Auth0 action: ${triggerId}`] },
      ]),
    );
    expect(new Set(rules.map((rule) => rule.name)).size).toBe(ACTION_TRIGGERS.length);
    expect(rules[0]?.description).toBe(`Runs action "notify" (${ACTION}) on post-login events`);
  });

  it('lists every problem in one error before building any rule', () => {
    let targets = 0;
    const bindings: Binding[] = [
      { triggerId: 'auth0-logs', actionId: 'a', actionName: 'typo' },
      { triggerId: 'post-login', actionId: 'b', actionName: 'with-match', match: { codes: ['s'] } },
      { triggerId: 'auth0-log', actionId: 'c', actionName: 'bad-code', match: { codes: ['fpp'] } },
      { triggerId: 'auth0-log', actionId: 'd', actionName: 'twice' },
      { triggerId: 'auth0-log', actionId: 'd', actionName: 'twice' },
    ];
    const error = thrownBy(() =>
      desiredRules(bindings, {
        ...options,
        targetFor: (binding) => {
          targets++;
          return target(binding);
        },
      }),
    );
    expect(error).toBeInstanceOf(InvalidBindingsError);
    expect((error as InvalidBindingsError).problems).toEqual([
      expect.stringMatching(/^action "typo" \(a\): unknown trigger "auth0-logs"; did you mean "auth0-log"/),
      'action "with-match" (b): trigger "post-login": takes no match (its bindings receive every event); remove "match"',
      expect.stringMatching(/^action "bad-code" \(c\): trigger "auth0-log": unknown log type code "fpp"/),
      'action "twice" (d): is bound to "auth0-log" more than once',
    ]);
    expect(targets).toBe(0);
  });
});
