import { randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BindingRulesError } from '../../../lambdas/actions/bindings/errors';
import {
  type Binding,
  type DesiredRule,
  desiredRules,
  EventBridgeBindingRules,
  type RuleTarget,
} from '../../../lambdas/actions/bindings/rules';
import { ACTION_TRIGGERS, actionDetailType } from '../../../lambdas/shared/surfaces';
import { clientConfig, createQueue, queueArnOf } from '../../../local/provision';
import { emulator, uniqueName } from '../../support/aws';
import { drain } from '../../support/queues';

const PREFIX = 'a0b-action-';
const SOURCE = 'auth0.logs';
const aws = emulator();
const eventBridge = new EventBridgeClient(clientConfig(aws));
const sqs = new SQSClient(clientConfig(aws));

/** Every command the adapter sends, by name, so a test can say which calls a sync made. */
const sent: string[] = [];
eventBridge.middlewareStack.add(
  (next, context) => (args) => {
    sent.push(String(context.commandName));
    return next(args);
  },
  { step: 'initialize', name: 'recordCommands' },
);

let dlqArn: string;
let queueUrl: string;
let queueArn: string;

beforeAll(async () => {
  const dlqUrl = await createQueue(sqs, uniqueName('bindings-dlq'));
  dlqArn = await queueArnOf(sqs, dlqUrl);
  queueUrl = await createQueue(sqs, uniqueName('bindings-target'));
  queueArn = await queueArnOf(sqs, queueUrl);
});

afterAll(() => {
  eventBridge.destroy();
  sqs.destroy();
});

/** A bus of its own per test; action ids are unique too, because moto finds a rule's tags by name alone. */
async function newBus() {
  const busName = uniqueName('bindings-bus');
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  const rules = new EventBridgeBindingRules(eventBridge, {
    busName,
    prefix: PREFIX,
    tags: { 'a0bridge:stack': 'test' },
  });
  return { busName, rules };
}

const targetTo =
  (arn: string, overrides: Partial<RuleTarget> = {}) =>
  (): RuleTarget => ({
    id: 'runner',
    arn,
    maxEventAgeSeconds: 3600,
    maxRetryAttempts: 7,
    deadLetterArn: dlqArn,
    ...overrides,
  });

function rulesFor(bindings: readonly Binding[], overrides: Partial<RuleTarget> = {}): DesiredRule[] {
  return desiredRules(bindings, { source: SOURCE, prefix: PREFIX, targetFor: targetTo(queueArn, overrides) });
}

const binding = (codes?: string[]): Binding => ({
  triggerId: 'auth0-log',
  actionId: randomUUID(),
  actionName: 'notify',
  ...(codes ? { match: { codes } } : {}),
});

async function describeRule(busName: string, name: string) {
  return eventBridge.send(new DescribeRuleCommand({ Name: name, EventBusName: busName }));
}

async function targetsOf(busName: string, name: string) {
  return (await eventBridge.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: busName })))
    .Targets;
}

async function exists(busName: string, name: string): Promise<boolean> {
  try {
    await describeRule(busName, name);
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

describe('EventBridgeBindingRules against moto', () => {
  it('creates a rule per binding with its pattern, tags, and a target with retry policy and DLQ', async () => {
    // GIVEN a binding to failed-password logs
    const { busName, rules } = await newBus();
    const [desired] = rulesFor([binding(['fp'])]);
    if (!desired) throw new Error('no rule');
    // WHEN
    await rules.sync([desired]);
    // THEN the rule holds the pattern, enabled, tagged as managed
    const rule = await describeRule(busName, desired.name);
    expect(rule.State).toBe('ENABLED');
    expect(rule.Description).toBe(desired.description);
    expect(JSON.parse(rule.EventPattern ?? '{}')).toEqual({
      source: [SOURCE],
      'detail-type': ['Auth0 log'],
      detail: { data: { type: ['fp'] } },
    });
    const tags = await eventBridge.send(new ListTagsForResourceCommand({ ResourceARN: rule.Arn }));
    expect(tags.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'a0bridge:managed-by', Value: 'action-bindings' },
        { Key: 'a0bridge:stack', Value: 'test' },
      ]),
    );
    // AND its one target retries as asked, then goes to the DLQ
    expect(await targetsOf(busName, desired.name)).toEqual([
      {
        Id: 'runner',
        Arn: queueArn,
        RetryPolicy: { MaximumRetryAttempts: 7, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: dlqArn },
      },
    ]);
    expect(await rules.list()).toEqual([
      {
        name: desired.name,
        arn: rule.Arn,
        description: desired.description,
        eventPattern: desired.eventPattern,
        state: 'ENABLED',
      },
    ]);
  });

  it('updates the pattern and the target when a binding changes', async () => {
    // GIVEN a synced binding
    const { busName, rules } = await newBus();
    const original = binding(['fp']);
    await rules.sync(rulesFor([original]));
    // WHEN its match, retry policy and target id change
    const changed = rulesFor([{ ...original, match: { codes: ['f', 'fu'] } }], {
      id: 'runner-v2',
      maxRetryAttempts: 3,
      maxEventAgeSeconds: 600,
    });
    await rules.sync(changed);
    // THEN the same rule holds the new pattern and only the new target
    const name = changed[0]?.name ?? '';
    const rule = await describeRule(busName, name);
    expect(JSON.parse(rule.EventPattern ?? '{}').detail).toEqual({ data: { type: ['f', 'fu'] } });
    expect(await targetsOf(busName, name)).toEqual([
      {
        Id: 'runner-v2',
        Arn: queueArn,
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
        DeadLetterConfig: { Arn: dlqArn },
      },
    ]);
    expect(await rules.list()).toHaveLength(1);
  });

  it('deletes the rule (and its target) of a removed binding, keeping the others', async () => {
    // GIVEN two synced bindings
    const { busName, rules } = await newBus();
    const [kept, removed] = rulesFor([binding(['fp']), binding(['s'])]);
    if (!kept || !removed) throw new Error('no rules');
    await rules.sync([kept, removed]);
    expect(await exists(busName, removed.name)).toBe(true);
    // WHEN one is no longer desired
    await rules.sync([kept]);
    // THEN
    expect(await exists(busName, removed.name)).toBe(false);
    expect(await exists(busName, kept.name)).toBe(true);
    expect((await rules.list()).map((rule) => rule.name)).toEqual([kept.name]);
  });

  it('writes nothing when a sync finds every rule as desired', async () => {
    // GIVEN synced bindings
    const { rules } = await newBus();
    const desired = rulesFor([binding(['fp']), binding()]);
    await rules.sync(desired);
    // WHEN the same rules are synced again
    sent.length = 0;
    await rules.sync(desired);
    // THEN it only read
    expect(new Set(sent)).toEqual(new Set(['ListRulesCommand', 'ListTargetsByRuleCommand']));
    expect(await rules.list()).toHaveLength(2);
  });

  it('never touches a rule outside its prefix, and refuses to write one', async () => {
    // GIVEN a hand-made rule with a target on the same bus, and a managed one
    const { busName, rules } = await newBus();
    const foreign = `${busName}-hand-made`;
    const lookalike = 'a0b-actions-hand-made'; // shares the first ten characters only
    for (const name of [foreign, lookalike]) {
      await eventBridge.send(
        new PutRuleCommand({
          Name: name,
          EventBusName: busName,
          EventPattern: JSON.stringify({ source: [SOURCE] }),
        }),
      );
      await eventBridge.send(
        new PutTargetsCommand({
          Rule: name,
          EventBusName: busName,
          Targets: [{ Id: 'theirs', Arn: queueArn }],
        }),
      );
    }
    await rules.sync(rulesFor([binding(['fp'])]));

    // WHEN asked to write a rule outside its prefix
    const [mine] = rulesFor([binding(['s'])]);
    if (!mine) throw new Error('no rule');
    const outside = { ...mine, name: foreign };
    await expect(rules.sync([mine, outside])).rejects.toThrow(BindingRulesError);
    await expect(rules.sync([mine, outside])).rejects.toThrow(
      `rule "${foreign}": does not start with "a0b-action-"`,
    );
    // THEN it changed nothing: the refusal came before any write
    expect(await exists(busName, mine.name)).toBe(false);

    // WHEN every managed rule is deleted
    await rules.deleteAllManaged();
    // THEN the others are as they were
    expect(await rules.list()).toEqual([]);
    for (const name of [foreign, lookalike]) {
      expect(JSON.parse((await describeRule(busName, name)).EventPattern ?? '{}')).toEqual({
        source: [SOURCE],
      });
      expect(await targetsOf(busName, name)).toEqual([{ Id: 'theirs', Arn: queueArn }]);
    }
  });

  it('finds managed rules on every page of ListRules', async () => {
    // GIVEN more rules than one ListRules page holds (moto's page is 50)
    const { rules } = await newBus();
    const desired = rulesFor(Array.from({ length: 55 }, () => binding(['fp'])));
    await rules.sync(desired);
    // WHEN listed
    sent.length = 0;
    const listed = await rules.list();
    // THEN every one of them is found, over several pages
    expect(listed.map((rule) => rule.name).sort()).toEqual(desired.map((rule) => rule.name).sort());
    expect(sent.filter((name) => name === 'ListRulesCommand').length).toBeGreaterThan(1);
    // AND deleting all of them deletes the ones past the first page too
    await rules.deleteAllManaged();
    expect(await rules.list()).toEqual([]);
  });

  it('delivers a matching event to the target and not another', async () => {
    // GIVEN a binding to failed-password logs (codes: ['fp']) with a queue as its target
    const { busName, rules } = await newBus();
    await rules.sync(rulesFor([binding(['fp'])]));
    const event = (type: string, logId: string) => ({
      EventBusName: busName,
      Source: SOURCE,
      DetailType: 'Auth0 log',
      Detail: JSON.stringify({
        log_id: logId,
        data: { type, date: '2026-01-01T00:00:00.000Z' },
        category: 'x',
      }),
    });
    // WHEN a success login and a failed password arrive
    const put = await eventBridge.send(
      new PutEventsCommand({ Entries: [event('s', 'log-success'), event('fp', 'log-failed')] }),
    );
    expect(put.FailedEntryCount).toBe(0);
    // THEN only the failed password reaches the queue
    const messages = await drain(sqs, queueUrl, 2, 3000);
    expect(messages.map((message) => JSON.parse(message.Body ?? '{}').detail.log_id)).toEqual(['log-failed']);
  });

  it('delivers each Auth0 Actions trigger’s events only to the action bound to that trigger', async () => {
    // GIVEN one action per Auth0 Actions trigger, each bound to it with a queue of its own as target
    const { busName, rules } = await newBus();
    const queues = new Map<string, string>();
    const arns = new Map<string, string>();
    for (const trigger of ACTION_TRIGGERS) {
      const url = await createQueue(sqs, uniqueName(`bindings-${trigger}`));
      queues.set(trigger, url);
      arns.set(trigger, await queueArnOf(sqs, url));
    }
    const bindings: Binding[] = ACTION_TRIGGERS.map((triggerId) => ({
      triggerId,
      actionId: randomUUID(),
      actionName: `on-${triggerId}`,
    }));
    await rules.sync(
      desiredRules(bindings, {
        source: SOURCE,
        prefix: PREFIX,
        targetFor: (bound) => targetTo(arns.get(bound.triggerId) as string)(),
      }),
    );

    // WHEN an event of each trigger arrives, with a log event and an action event from another source
    const entry = (source: string, detailType: string, marker: string) => ({
      EventBusName: busName,
      Source: source,
      DetailType: detailType,
      Detail: JSON.stringify({ marker, user: { user_id: 'auth0|1' } }),
    });
    const entries = [
      ...ACTION_TRIGGERS.map((trigger) => entry(SOURCE, actionDetailType(trigger), trigger)),
      entry(SOURCE, 'Auth0 log', 'log'),
      entry('someone.else', actionDetailType('post-login'), 'other-source'),
    ];
    for (let start = 0; start < entries.length; start += 10) {
      const put = await eventBridge.send(new PutEventsCommand({ Entries: entries.slice(start, start + 10) }));
      expect(put.FailedEntryCount).toBe(0);
    }

    // THEN each queue holds exactly its own trigger's event
    const received = await Promise.all(
      ACTION_TRIGGERS.map(async (trigger) => {
        const messages = await drain(sqs, queues.get(trigger) as string, 2, 3000);
        return [trigger, messages.map((message) => JSON.parse(message.Body ?? '{}').detail.marker)];
      }),
    );
    expect(Object.fromEntries(received)).toEqual(
      Object.fromEntries(ACTION_TRIGGERS.map((trigger) => [trigger, [trigger]])),
    );
  });
});
