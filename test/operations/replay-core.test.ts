/**
 * Replays, unit by unit: which route rules a selection of codes and categories reaches (the route model of
 * config/routes.ts), which windows EventBridge would refuse or the archive cannot serve, what StartReplay is
 * sent (aws-sdk-client-mock: moto ignores FilterArns and the window), and a replay's progress.
 */
import {
  DescribeReplayCommand,
  EventBridgeClient,
  ResourceNotFoundException,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { routes as configuredRoutes } from '../../config/routes';
import { EventBridgeArchiveReplays } from '../../lambdas/operations/adapters/eventbridge-replays';
import {
  decodeRoutes,
  encodeRoutes,
  loadOperationsConfig,
  operationsEnvironment,
} from '../../lambdas/operations/config';
import {
  checkWindow,
  describeReplay,
  planReplay,
  replayName,
  startReplay,
} from '../../lambdas/operations/replay';

const BUS_ARN = 'arn:aws:events:eu-west-1:111111111111:event-bus/auth0-events';
const ARCHIVE_ARN = 'arn:aws:events:eu-west-1:111111111111:archive/auth0-events-archive';
const rule = (id: string) => `arn:aws:events:eu-west-1:111111111111:rule/auth0-events/auth0-events-${id}`;

const ROUTES = (() => {
  const encoded = encodeRoutes(
    configuredRoutes.map((route) => ({
      id: route.id,
      ruleName: `auth0-events-${route.id}`,
      match: route.match,
    })),
  );
  return decodeRoutes(encoded.routes, encoded.routeRules, BUS_ARN);
})();

const SETTINGS = {
  busArn: BUS_ARN,
  archiveArn: ARCHIVE_ARN,
  archiveRetentionDays: 30,
  replayPrefix: 'auth0-events-replay-',
  routes: ROUTES,
};
const NOW = new Date('2026-03-02T12:00:00Z');
const HOUR = 3600_000;

const eventBridge = mockClient(EventBridgeClient);
const replays = new EventBridgeArchiveReplays(new EventBridgeClient({ region: 'eu-west-1' }), {
  archiveArn: ARCHIVE_ARN,
  busArn: BUS_ARN,
});

beforeEach(() => {
  eventBridge.reset();
});

describe('which rules a selection reaches', () => {
  it('maps a code to the routes whose codes or categories take it', () => {
    // f is in category auth.login.fail (failed-logins); gd_auth_failed is one of mfa's codes
    const plan = planReplay(ROUTES, { codes: ['f', 'gd_auth_failed'] });
    expect(plan.routes).toEqual([
      {
        id: 'failed-logins',
        rule_arn: rule('failed-logins'),
        why: 'takes code f (category auth.login.fail)',
      },
      { id: 'mfa', rule_arn: rule('mfa'), why: 'takes code gd_auth_failed' },
    ]);
    expect(plan.filterArns).toEqual([rule('failed-logins'), rule('mfa')]);
  });

  it('maps a category to the routes that take it, or take a code of it', () => {
    const plan = planReplay(ROUTES, { categories: ['auth.signup.fail', 'auth.login.success'] });
    expect(plan.routes.map(({ id, why }) => [id, why])).toEqual([
      ['successful-logins', 'takes category auth.login.success'],
      ['signups', 'takes category auth.signup.fail'],
    ]);
  });

  it('selects routes by id, with a suggestion for a misspelt one', () => {
    expect(planReplay(ROUTES, { routes: ['new-users'] }).filterArns).toEqual([rule('new-users')]);
    expect(() => planReplay(ROUTES, { routes: ['new-user'] })).toThrow(
      /unknown route "new-user"; did you mean "new-users"/,
    );
  });

  it('refuses an unknown code with the closest ones, before anything starts', () => {
    expect(() => planReplay(ROUTES, { codes: ['fpp'] })).toThrow(/unknown log type code "fpp"; did you mean/);
  });

  it('refuses a selection no enabled route takes: replaying it would deliver nothing', () => {
    const disabled = ROUTES.map((route) =>
      route.id === 'failed-logins' ? { ...route, enabled: false } : route,
    );
    expect(() => planReplay(disabled, { codes: ['f'] })).toThrow(
      /No enabled route takes code f \(disabled: failed-logins\)/,
    );
    expect(() => planReplay(ROUTES, { codes: ['sapi'] })).not.toThrow();
    expect(() => planReplay(ROUTES, { codes: ['cls'] })).toThrow(/No enabled route takes code cls/);
  });

  it('names a route that only narrows with a raw pattern: it may take them', () => {
    const narrowed = [
      ...ROUTES,
      { ...(ROUTES[0] as (typeof ROUTES)[number]), id: 'db-only', codes: [], categories: [], narrowed: true },
    ];
    const plan = planReplay(narrowed, { codes: ['cls'] });
    expect(plan.routes.map(({ id, why }) => [id, why])).toEqual([
      ['db-only', 'its raw pattern may take them'],
    ]);
  });

  it('reaches every rule on the bus without a selection', () => {
    expect(planReplay(ROUTES, {})).toEqual({ routes: [] });
  });
});

describe('the window', () => {
  it('refuses a window that ends before it starts, or in the future', () => {
    expect(() =>
      checkWindow(new Date(NOW.getTime() - HOUR), new Date(NOW.getTime() - 2 * HOUR), NOW, 30),
    ).toThrow(/must be before to/);
    expect(() =>
      checkWindow(new Date(NOW.getTime() - HOUR), new Date(NOW.getTime() + HOUR), NOW, 30),
    ).toThrow(/is in the future/);
  });

  it('refuses a window the archive no longer holds, and notes one it holds only part of', () => {
    const day = 24 * HOUR;
    expect(() =>
      checkWindow(new Date(NOW.getTime() - 40 * day), new Date(NOW.getTime() - 31 * day), NOW, 30),
    ).toThrow(/keeps events 30 days, so it holds none of them/);
    const { notes } = checkWindow(new Date(NOW.getTime() - 31 * day), new Date(NOW.getTime() - day), NOW, 30);
    expect(notes).toEqual([expect.stringMatching(/events before 2026-01-31T12:00:00.000Z are gone/)]);
    expect(
      checkWindow(new Date(NOW.getTime() - 400 * day), new Date(NOW.getTime() - day), NOW, 0).notes,
    ).toEqual([]);
  });

  it('notes that the last 10 minutes may not be archived yet', () => {
    const { notes } = checkWindow(new Date(NOW.getTime() - HOUR), new Date(NOW.getTime() - 60_000), NOW, 30);
    expect(notes).toEqual([expect.stringMatching(/less than 10 minutes ago/)]);
  });
});

describe('starting and following a replay', () => {
  it('sends StartReplay from the archive to the bus, with the rules of the routes selected', async () => {
    eventBridge.on(StartReplayCommand).resolves({ State: 'STARTING' });
    const from = new Date('2026-03-01T08:00:00Z');
    const to = new Date('2026-03-01T12:00:00Z');

    const started = await startReplay(
      replays,
      SETTINGS,
      { from, to, selection: { codes: ['f'] }, now: NOW },
      () => 'ab12',
    );

    expect(eventBridge.commandCalls(StartReplayCommand).map((call) => call.args[0].input)).toEqual([
      {
        ReplayName: 'auth0-events-replay-20260302T120000Z-ab12',
        Description: 'a0bridge: failed-logins',
        EventSourceArn: ARCHIVE_ARN,
        EventStartTime: from,
        EventEndTime: to,
        Destination: { Arn: BUS_ARN, FilterArns: [rule('failed-logins')] },
      },
    ]);
    expect(started).toMatchObject({
      name: 'auth0-events-replay-20260302T120000Z-ab12',
      state: 'STARTING',
      all_rules: false,
    });
    expect(started.notes.join(' ')).toMatch(/every event of its own from the window/);
    expect(started.notes.join(' ')).toMatch(/"replay-name" field/);
  });

  it('replays to every rule, saying so, without a selection', async () => {
    eventBridge.on(StartReplayCommand).resolves({ State: 'STARTING' });

    const started = await startReplay(
      replays,
      SETTINGS,
      {
        from: new Date('2026-03-01T08:00:00Z'),
        to: new Date('2026-03-01T09:00:00Z'),
        selection: {},
        now: NOW,
      },
      () => 'cd34',
    );

    expect(eventBridge.commandCalls(StartReplayCommand)[0]?.args[0].input.Destination).toEqual({
      Arn: BUS_ARN,
    });
    expect(started.all_rules).toBe(true);
    expect(started.notes.join(' ')).toMatch(/every action binding \(actions run again\)/);
  });

  it('reports progress through the window from EventLastReplayedTime, and the end states', async () => {
    eventBridge
      .on(DescribeReplayCommand)
      .resolvesOnce({
        ReplayName: 'auth0-events-replay-x',
        State: 'RUNNING',
        EventStartTime: new Date('2026-03-01T08:00:00Z'),
        EventEndTime: new Date('2026-03-01T12:00:00Z'),
        EventLastReplayedTime: new Date('2026-03-01T09:00:00Z'),
      })
      .resolvesOnce({ ReplayName: 'auth0-events-replay-x', State: 'FAILED', StateReason: 'quota' });

    const running = await describeReplay(replays, SETTINGS, 'auth0-events-replay-x');
    const failed = await describeReplay(replays, SETTINGS, 'auth0-events-replay-x');

    expect(running).toMatchObject({
      state: 'RUNNING',
      progress: 0.25,
      done: false,
      last_replayed: '2026-03-01T09:00:00.000Z',
    });
    expect(failed).toMatchObject({ state: 'FAILED', state_reason: 'quota', done: true, progress: 0 });
  });

  it('answers 404 for a replay that is not there, or not this stack’s', async () => {
    eventBridge
      .on(DescribeReplayCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    await expect(describeReplay(replays, SETTINGS, 'auth0-events-replay-gone')).rejects.toMatchObject({
      statusCode: 404,
      errorCode: 'replay_not_found',
    });
    await expect(describeReplay(replays, SETTINGS, 'someone-elses-replay')).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(eventBridge.commandCalls(DescribeReplayCommand)).toHaveLength(1);
  });

  it('names replays within EventBridge’s 64 characters', () => {
    const name = replayName(`${'b'.repeat(32)}-replay-`, NOW, 'ffffff');
    expect(name).toMatch(/^[.\-_A-Za-z0-9]{1,64}$/);
    expect(name).toBe(`${'b'.repeat(32)}-replay-20260302T120000Z-ffffff`);
  });
});

describe('the management function’s environment', () => {
  it('carries every route’s rule and match, and reads back what CDK wrote', () => {
    const env = operationsEnvironment({
      quarantineQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/q',
      claimCheckBucket: 'b',
      ingestUrl: 'https://x.lambda-url.eu-west-1.on.aws/',
      tokenSecretId: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:t',
      dedupTableName: 'd',
      busArn: BUS_ARN,
      archiveArn: ARCHIVE_ARN,
      archiveRetentionDays: '30',
      replayPrefix: 'auth0-events-replay-',
      alarmNamePrefix: 'Auth0EventBridge-',
      alarmNames: 'ingest-errors,dlq-mfa',
      metricsNamespace: 'Auth0EventBridge',
      // '' stands for the usual name, <bus name>-<route id>, derived from the bus's ARN
      ...encodeRoutes(
        configuredRoutes.map((route) => ({
          id: route.id,
          ruleName: route.id === 'mfa' ? '' : `auth0-events-${route.id}`,
          match: route.match,
        })),
      ),
    });

    const config = loadOperationsConfig(env);

    expect(config.routes).toEqual(ROUTES);
    expect(config.alarmNames).toEqual(['Auth0EventBridge-ingest-errors', 'Auth0EventBridge-dlq-mfa']);
    expect(config.routes.find(({ id }) => id === 'new-users')).toMatchObject({
      otherSurfaces: true,
      codes: [],
    });
    // The routes take a fraction of the 4 KB a function's variables share.
    expect(env.OPERATIONS_ROUTES?.length).toBeLessThan(700);
    expect(() => loadOperationsConfig({ ...env, OPERATIONS_ROUTE_RULES: 'a,b' })).toThrow(
      /OPERATIONS_ROUTE_RULES names 2 rules for 7 routes/,
    );
    expect(() => loadOperationsConfig({ ...env, OPERATIONS_BUS_ARN: '' })).toThrow(
      'OPERATIONS_BUS_ARN is not set',
    );
  });
});
