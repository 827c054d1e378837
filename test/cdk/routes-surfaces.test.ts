import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes as defaultRoutes } from '../../config/routes';
import { eventPatternFor, type RouteDefinition } from '../../lib/routes/route-model';
import { logicalIdOf, type Synthesized, synthesize } from './support';

const prefixOf = (routeId: string) => `Routes${routeId.replaceAll('-', '')}`;

const SURFACE_ROUTES: RouteDefinition[] = [
  {
    id: 'logins',
    description: 'the post-login Action trigger',
    match: { triggers: ['post-login'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'user-lifecycle',
    description: 'Event Streams user events',
    match: { eventTypes: ['user.created', 'com.auth0.user.deleted'] },
    targets: [{ type: 'sns' }],
  },
  {
    id: 'password-changes',
    description: 'password change logs, the Action trigger, and user updates',
    match: { codes: ['scp'], triggers: ['post-change-password'], eventTypes: ['user.updated'] },
    targets: [{ type: 'sqs' }],
  },
];

describe('routes on Actions and Event Streams events', () => {
  let synth: Synthesized;
  const ruleOf = (routeId: string) => {
    const id = logicalIdOf(synth.template, 'AWS::Events::Rule', `${prefixOf(routeId)}Rule`);
    return synth.template.toJSON().Resources[id].Properties;
  };

  beforeAll(() => {
    synth = synthesize({ routes: SURFACE_ROUTES, eventSource: 'acme.auth0' });
  });

  it('matches a trigger-only route on the Action detail-type alone', () => {
    expect(ruleOf('logins').EventPattern).toEqual({
      source: ['acme.auth0'],
      'detail-type': ['Auth0 action: post-login'],
    });
  });

  it('matches an event-type route on the normalised Event Streams detail-types', () => {
    expect(ruleOf('user-lifecycle').EventPattern).toEqual({
      source: ['acme.auth0'],
      'detail-type': ['Auth0 event: user.created', 'Auth0 event: user.deleted'],
    });
  });

  it('renders a mixed route as $or alternatives that each keep their detail-type', () => {
    expect(ruleOf('password-changes').EventPattern).toEqual({
      source: ['acme.auth0'],
      $or: [
        { 'detail-type': ['Auth0 log'], detail: { data: { type: ['scp'] } } },
        { 'detail-type': ['Auth0 action: post-change-password', 'Auth0 event: user.updated'] },
      ],
    });
  });

  it('puts in the template exactly the pattern the route model (and local mode) builds', () => {
    for (const route of SURFACE_ROUTES) {
      expect(ruleOf(route.id).EventPattern).toEqual(eventPatternFor(route, 'acme.auth0'));
    }
  });

  it('names the rules and their targets as for log routes', () => {
    // The construct ids are Routes/<route id>/Rule and Routes/<route id>/<target id>, as for any route.
    for (const route of SURFACE_ROUTES) {
      expect(ruleOf(route.id)).toMatchObject({ Name: `auth0-events-${route.id}`, State: 'ENABLED' });
    }
    const queueId = logicalIdOf(synth.template, 'AWS::SQS::Queue', `${prefixOf('logins')}queue`);
    const topicId = logicalIdOf(synth.template, 'AWS::SNS::Topic', `${prefixOf('user-lifecycle')}topic`);
    expect(ruleOf('logins').Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
    ]);
    synth.template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Auth0 events: user-lifecycle' });
    expect(ruleOf('user-lifecycle').Targets).toEqual([expect.objectContaining({ Arn: { Ref: topicId } })]);
  });
});

describe('the default new-users route', () => {
  it('takes the post-user-registration trigger or user.created events into a queue of its own', () => {
    // GIVEN the default routes
    const newUsers = defaultRoutes.find((route) => route.id === 'new-users');
    expect(newUsers).toBeDefined();
    // WHEN synthesized
    const synth = synthesize();
    // THEN
    const queueId = logicalIdOf(synth.template, 'AWS::SQS::Queue', `${prefixOf('new-users')}queue`);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'auth0-events-new-users',
      EventPattern: {
        source: ['auth0.logs'],
        'detail-type': ['Auth0 action: post-user-registration', 'Auth0 event: user.created'],
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })],
    });
    synth.template.hasOutput('RouteNewUsersQueueUrl', { Value: { Ref: queueId } });
  });
});

describe('validation of triggers and event types at synth', () => {
  const route = (match: RouteDefinition['match']): RouteDefinition => ({
    id: 'x',
    description: 'test',
    match,
    targets: [{ type: 'sqs' }],
  });

  it('fails on an unknown trigger, suggesting the closest one', () => {
    expect(() => synthesize({ routes: [route({ triggers: ['post-logn' as never] })] })).toThrow(
      'route "x": unknown trigger "post-logn"; did you mean "post-login"?',
    );
  });

  it('fails on an unknown event type, suggesting the closest ones, best first', () => {
    expect(() => synthesize({ routes: [route({ eventTypes: ['com.auth0.user.craeted'] })] })).toThrow(
      /route "x": unknown event type "com\.auth0\.user\.craeted"; did you mean "user\.created"[,?]/,
    );
  });

  it('fails on a match that names nothing', () => {
    expect(() => synthesize({ routes: [route({ triggers: [] })] })).toThrow(
      'route "x": match names no codes, categories, triggers, event types or pattern',
    );
  });
});
