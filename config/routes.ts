/**
 * Routes: which Auth0 events go where. Edit this file, then `npx cdk deploy` (or restart `npm start`).
 * A route delivers to up to five targets; each target retries for 24 h and then lands in a dead-letter queue.
 *
 * A route's `match` takes any of these, OR-ed together:
 * - `codes` / `categories`: log events (Log Streams, detail-type `Auth0 log`) by type code or log-stream
 *   category. Both lists: lambdas/shared/log-types.generated.ts (Auth0's documented list).
 * - `triggers`: Auth0 Actions events posted to `/actions/<trigger>` (detail-type `Auth0 action: <trigger>`),
 *   e.g. `post-login`. The list: ACTION_TRIGGERS in lambdas/shared/surfaces.ts.
 * - `eventTypes`: Auth0 Event Streams events posted to `/events` (detail-type `Auth0 event: <type>`), e.g.
 *   `user.created` (`com.auth0.user.created` is the same type). The list: lambdas/shared/event-stream-types.ts.
 * and optionally a raw EventBridge `pattern`, AND-ed with the rest: it narrows every event the route takes, so
 * a field only log records have (such as `detail.data.connection`) leaves Actions and Event Streams events
 * out. A match with only a `pattern` narrows log events.
 * Unknown codes, categories, triggers and event types fail `cdk synth` with the closest valid names.
 */
import { logTypesWithPrefix } from '../lambdas/shared/log-types';
import type { RouteDefinition } from '../lib/routes/route-model';

export const routes: RouteDefinition[] = [
  {
    id: 'failed-logins',
    description: 'Failed logins: wrong password, unknown user, other login failures',
    match: { categories: ['auth.login.fail'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'successful-logins',
    description: 'Successful logins',
    match: { categories: ['auth.login.success'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'signups',
    description: 'Sign-ups, successful or failed',
    match: { categories: ['auth.signup.success', 'auth.signup.fail'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'rate-limits-and-blocks',
    description: 'Rate limits hit or near, and blocked accounts and IP addresses (attack protection)',
    match: {
      codes: [
        'api_limit',
        'api_limit_warning',
        'limit_delegation',
        'limit_mu',
        'limit_sul',
        'limit_wc',
        'limit_phone',
      ],
    },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'mfa',
    description: 'Multi-factor authentication: enrolment, challenges, failures, recovery',
    match: { codes: [...logTypesWithPrefix('gd_'), 'mfar'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'management-api',
    description: 'Management API operations (writes, and reads that return secrets)',
    match: { categories: ['management.success'] },
    targets: [{ type: 'sqs' }],
  },
  {
    id: 'new-users',
    // Post User Registration runs after database and passwordless sign-ups; user.created also covers users
    // made through the Management API, imports, SCIM and JIT. A user both reach arrives twice, once per kind.
    description: 'New users: the post-user-registration Action trigger, or the user.created event',
    match: { triggers: ['post-user-registration'], eventTypes: ['user.created'] },
    targets: [{ type: 'sqs' }],
  },
];
