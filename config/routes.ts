/**
 * Routes: which Auth0 log events go where. Edit this file, then `npx cdk deploy` (or restart `npm start`).
 * A route matches log type codes, official log-stream categories, and/or a raw EventBridge pattern, and
 * delivers to up to five targets. Each target retries for 24 h and then lands in a dead-letter queue.
 *
 * Codes and categories: lambdas/shared/log-types.generated.ts (Auth0's documented list).
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
];
