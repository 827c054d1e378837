/**
 * Routes on all three kinds of events, against moto: local mode provisions one rule per route from
 * `eventPatternFor` (as `npm start` does), events of each kind are put on the bus, and each route's queue gets
 * exactly the events its match names. This is the check that moto evaluates the `$or` alternatives, each with
 * its own detail-type, the way EventBridge does.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteDefinition } from '../../lib/routes/route-model';
import { toRoutedEvent } from '../../local/live-view';
import { clientConfig, defaultLocalNames, type LocalResources, provisionLocal } from '../../local/provision';
import { emulator, uniqueName } from '../support/aws';
import { drain } from '../support/queues';

const aws = emulator();
const sqs = new SQSClient(clientConfig(aws));
const eventBridge = new EventBridgeClient(clientConfig(aws));
const names = defaultLocalNames(uniqueName('it-surfaces'));

const ROUTES: RouteDefinition[] = [
  {
    id: 'logins',
    description: 'one trigger',
    match: { triggers: ['post-login'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'new-users',
    description: 'a trigger or an event type',
    match: { triggers: ['post-user-registration'], eventTypes: ['user.created'] },
    targets: [{ type: 'sqs' }],
  },
  { id: 'wrong-passwords', description: 'a log code', match: { codes: ['fp'] }, targets: [{ type: 'sqs' }] },
  {
    id: 'password-trouble',
    description: 'a log code or a trigger',
    match: { codes: ['fp'], triggers: ['post-change-password'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'everything-but-one',
    description: 'a category, a trigger and an event type, in the other spelling',
    match: {
      categories: ['auth.login.fail'],
      triggers: ['post-login'],
      eventTypes: ['com.auth0.user.created'],
    },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'bob-only',
    description: 'two triggers narrowed by a raw pattern',
    match: {
      triggers: ['post-login', 'post-change-password'],
      pattern: { detail: { user: { email: ['bob@example.com'] } } },
    },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'verified-creations',
    description: 'a log code or an event type, narrowed by a field only the Event Streams event has',
    match: {
      codes: ['fp'],
      eventTypes: ['user.created'],
      pattern: { detail: { data: { object: { email_verified: [true] } } } },
    },
    targets: [{ type: 'sqs' }],
  },
];

/** One event of each kind, and one from another source that no route may take. */
const EVENTS = {
  postLogin: {
    DetailType: 'Auth0 action: post-login',
    Detail: {
      user: { user_id: 'auth0|alice', email: 'alice@example.com' },
      transaction: { id: 'tx-alice' },
      request: { ip: '203.0.113.7' },
    },
  },
  changePassword: {
    DetailType: 'Auth0 action: post-change-password',
    Detail: { user: { user_id: 'auth0|bob', email: 'bob@example.com' }, connection: { name: 'db' } },
  },
  userCreated: {
    DetailType: 'Auth0 event: user.created',
    Detail: {
      id: 'evt_carol',
      source: 'urn:auth0:example.auth0app.com',
      specversion: '1.0',
      type: 'user.created',
      time: '2026-11-22T10:00:00.000Z',
      data: { object: { user_id: 'auth0|carol', email: 'carol@example.com', email_verified: true } },
    },
  },
  wrongPassword: {
    DetailType: 'Auth0 log',
    Detail: {
      log_id: 'log-dave',
      data: { log_id: 'log-dave', type: 'fp', user_name: 'dave@example.com' },
      category: 'auth.login.fail',
    },
  },
} as const;
type EventName = keyof typeof EVENTS;

const EXPECTED: Record<string, EventName[]> = {
  logins: ['postLogin'],
  'new-users': ['userCreated'],
  'wrong-passwords': ['wrongPassword'],
  'password-trouble': ['changePassword', 'wrongPassword'],
  'everything-but-one': ['postLogin', 'userCreated', 'wrongPassword'],
  'bob-only': ['changePassword'],
  'verified-creations': ['userCreated'],
};

/** What each route's queue received, by the name of the event in EVENTS, sorted. */
const received = new Map<string, string[]>();
let resources: LocalResources;

function nameOf(body: string): string {
  const { 'detail-type': detailType, detail } = JSON.parse(body);
  const found = Object.entries(EVENTS).find(
    ([, event]) => event.DetailType === detailType && JSON.stringify(event.Detail) === JSON.stringify(detail),
  );
  return found?.[0] ?? `unexpected ${detailType}`;
}

beforeAll(async () => {
  resources = await provisionLocal(aws, names, ROUTES, 'unused-token');
  const entries = [
    ...Object.values(EVENTS).map((event) => ({
      Source: names.source,
      DetailType: event.DetailType,
      Detail: JSON.stringify(event.Detail),
      EventBusName: names.busName,
    })),
    // The same Action event from another source: every rule matches our source only.
    {
      Source: 'someone.else',
      DetailType: EVENTS.postLogin.DetailType,
      Detail: JSON.stringify(EVENTS.postLogin.Detail),
      EventBusName: names.busName,
    },
  ];
  const output = await eventBridge.send(new PutEventsCommand({ Entries: entries }));
  expect(output.FailedEntryCount).toBe(0);

  await Promise.all(
    resources.routeQueues.map(async ({ routeId, queueUrl }) => {
      const messages = await drain(sqs, queueUrl, EXPECTED[routeId]?.length ?? 0, 10_000);
      // Whatever else was delivered would be in the queue by now; a second look must find nothing.
      messages.push(...(await drain(sqs, queueUrl, 0, 1_500)));
      received.set(routeId, messages.map((m) => nameOf(m.Body ?? '{}')).sort());
    }),
  );
}, 60_000);

afterAll(() => {
  sqs.destroy();
  eventBridge.destroy();
});

describe('routes on logs, Actions events and Event Streams events, on moto', () => {
  it('provisions one rule and queue per route', () => {
    expect(resources.routeQueues.map((queue) => queue.routeId)).toEqual(ROUTES.map((route) => route.id));
  });

  it.each(Object.entries(EXPECTED))(
    'delivers to route %s exactly the events it matches',
    (routeId, events) => {
      expect(received.get(routeId)).toEqual([...events].sort());
    },
  );

  it('shows each kind of event in the live view by what identifies it', async () => {
    // GIVEN each kind of event as a route queue delivers it
    await eventBridge.send(
      new PutEventsCommand({
        Entries: (['postLogin', 'userCreated', 'wrongPassword'] as const).map((name) => ({
          Source: names.source,
          DetailType: EVENTS[name].DetailType,
          Detail: JSON.stringify(EVENTS[name].Detail),
          EventBusName: names.busName,
        })),
      }),
    );
    const queueUrl = resources.routeQueues.find((q) => q.routeId === 'everything-but-one')?.queueUrl ?? '';
    // WHEN the live view reads them
    const shown = (await drain(sqs, queueUrl, 3)).map((m) =>
      toRoutedEvent('everything-but-one', m.Body ?? ''),
    );
    // THEN
    expect(shown).toHaveLength(3);
    expect(shown).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'post-login',
          summary: 'user auth0|alice <alice@example.com> from 203.0.113.7',
          reference: '[action] transaction=tx-alice',
        }),
        expect.objectContaining({
          type: 'user.created',
          summary: 'user auth0|carol',
          reference: '[event] id=evt_carol',
        }),
        expect.objectContaining({ type: 'fp', reference: '[auth.login.fail] log_id=log-dave' }),
      ]),
    );
  });
});
