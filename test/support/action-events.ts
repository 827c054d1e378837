/**
 * Auth0 Actions `event` objects as Auth0 passes them to an Action, one per trigger, for tests that post to
 * `/actions/<trigger>`:
 *
 *   const event = sampleActionEvent('post-login');                    // a fresh event, ids unique per call
 *   const same = sampleActionEvent('post-login', { id: 'case-1' });   // the same ids each run
 *   const custom = sampleActionEvent('post-login', { overrides: { stats: { logins_count: 1 } } });
 *
 * Each call returns new objects (mutate them freely). Every event carries `secrets.API_KEY` =
 * SAMPLE_SECRET_VALUE, which must never reach the bus, a log, the quarantine or a response. The fields follow
 * Auth0's event-object reference pages; addresses are documentation ranges (RFC 5737) and example.com.
 */
import type { ActionTrigger } from '../../lambdas/shared/surfaces';

export const SAMPLE_SECRET_VALUE = 'sk_live_sample_secret_value_1';

export interface SampleActionEventOptions {
  /**
   * Makes the event's ids (transaction.id, and the session and user ids where the trigger has them) differ
   * from another call's: transaction.id is `<trigger>:<id>`.
   * @default a counter, so every call in a process differs
   */
  readonly id?: string;
  /** Top-level fields to add or replace, shallowly: `{ user: {...} }` replaces the whole user. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

let calls = 0;

export function sampleActionEvent(
  trigger: ActionTrigger,
  options: SampleActionEventOptions = {},
): Record<string, unknown> {
  calls += 1;
  const id = options.id ?? `sample-${calls}`;
  return { ...SAMPLES[trigger](id), secrets: { API_KEY: SAMPLE_SECRET_VALUE }, ...options.overrides };
}

const TIME = '2026-12-03T10:00:00.000Z';

const tenant = () => ({ id: 'example-tenant' });

const client = () => ({
  client_id: 'k3BXc9PTyq4wDr7Tz0ExampleClient',
  name: 'Example Web App',
  metadata: { tier: 'gold', region: 'eu' },
});

const connection = () => ({
  id: 'con_Y4oVYzYExample1',
  name: 'Username-Password-Authentication',
  strategy: 'auth0',
  metadata: {},
});

const request = () => ({
  ip: '203.0.113.10',
  asn: '64496',
  method: 'POST',
  hostname: 'example-tenant.eu.auth0.com',
  user_agent:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  language: 'en-GB',
  query: {
    client_id: 'k3BXc9PTyq4wDr7Tz0ExampleClient',
    response_type: 'code',
    scope: 'openid profile email',
  },
  body: {},
  geoip: {
    cityName: 'Dublin',
    continentCode: 'EU',
    countryCode: 'IE',
    countryCode3: 'IRL',
    countryName: 'Ireland',
    latitude: 53.3498,
    longitude: -6.2603,
    timeZone: 'Europe/Dublin',
    subdivisionCode: 'L',
    subdivisionName: 'Leinster',
  },
});

const transaction = (trigger: ActionTrigger, id: string) => ({
  id: `${trigger}:${id}`,
  protocol: 'oidc-basic-profile',
  acr_values: [],
  locale: 'en',
  prompt: ['login'],
  redirect_uri: 'https://app.example.com/callback',
  requested_scopes: ['openid', 'profile', 'email'],
  response_mode: 'query',
  response_type: ['code'],
  state: 'aGVsbG8tc3RhdGU',
  ui_locales: ['en-GB', 'en'],
});

const user = (id: string) => ({
  user_id: `auth0|${id}`,
  email: 'jane.doe@example.com',
  email_verified: true,
  username: 'janedoe',
  name: 'Jane Doe',
  nickname: 'jane',
  given_name: 'Jane',
  family_name: 'Doe',
  picture: 'https://cdn.example.com/avatars/jane.png',
  created_at: '2026-01-15T08:30:00.000Z',
  updated_at: TIME,
  last_password_reset: '2026-11-20T09:00:00.000Z',
  app_metadata: { plan: 'pro' },
  user_metadata: { theme: 'dark' },
  multifactor: [],
  enrolledFactors: [{ type: 'otp' }],
  identities: [
    {
      user_id: id,
      provider: 'auth0',
      connection: 'Username-Password-Authentication',
      isSocial: false,
      profileData: {},
    },
  ],
});

const passwordMethod = () => ({ methods: [{ name: 'pwd', timestamp: TIME }] });

const generic = (trigger: ActionTrigger) => (id: string) => ({
  client: client(),
  connection: connection(),
  request: request(),
  tenant: tenant(),
  transaction: transaction(trigger, id),
  user: user(id),
});

const SAMPLES: Readonly<Record<ActionTrigger, (id: string) => Record<string, unknown>>> = {
  'post-login': (id) => ({
    authentication: {
      ...passwordMethod(),
      riskAssessment: {
        confidence: 'high',
        version: '1',
        assessments: {
          ImpossibleTravel: { confidence: 'high', code: 'minimal_travel_from_last_login' },
          NewDevice: { confidence: 'high', code: 'match' },
          UntrustedIP: { confidence: 'high', code: 'not_found_on_deny_list' },
        },
      },
    },
    authorization: { roles: ['orders:reader'] },
    client: client(),
    connection: connection(),
    organization: { id: 'org_Example123', name: 'example-org', display_name: 'Example Org', metadata: {} },
    request: request(),
    resource_server: { identifier: 'https://api.example.com' },
    session: {
      id: `session-${id}`,
      authenticated_at: TIME,
      created_at: TIME,
      expires_at: '2026-12-06T10:00:00.000Z',
      idle_expires_at: '2026-12-04T10:00:00.000Z',
      user_id: `auth0|${id}`,
      device: { last_asn: '64496', last_ip: '203.0.113.10' },
    },
    session_id: `session-${id}`,
    stats: { logins_count: 42 },
    tenant: tenant(),
    transaction: transaction('post-login', id),
    user: user(id),
    security_context: {
      ja3: '769,47-53-5-10-49161,0-10-11,23-24,0',
      ja4: 't13d1516h2_8daaf6152771_02713d6af862',
    },
  }),
  'credentials-exchange': (id) => ({
    accessToken: { customClaims: {}, scope: ['read:orders'] },
    client: { ...client(), name: 'Example Batch Job' },
    request: {
      ...request(),
      body: { grant_type: 'client_credentials', audience: 'https://api.example.com' },
    },
    resource_server: { identifier: 'https://api.example.com' },
    tenant: tenant(),
    transaction: { id: `credentials-exchange:${id}`, requested_scopes: ['read:orders'] },
  }),
  'pre-user-registration': (id) => {
    const { user_id: _notYetCreated, identities: _none, ...profile } = user(id);
    return {
      client: client(),
      connection: connection(),
      request: request(),
      tenant: tenant(),
      transaction: transaction('pre-user-registration', id),
      user: { ...profile, email_verified: false },
    };
  },
  'post-user-registration': (id) => ({
    connection: connection(),
    request: request(),
    tenant: tenant(),
    transaction: transaction('post-user-registration', id),
    user: { ...user(id), email_verified: false, created_at: TIME },
  }),
  'post-change-password': generic('post-change-password'),
  'send-phone-message': (id) => ({
    ...generic('send-phone-message')(id),
    message_options: {
      action: 'second-factor-authentication',
      code: '123456',
      message_type: 'sms',
      recipient: '+15555550123',
      text: 'Your verification code is 123456',
    },
  }),
  'password-reset-post-challenge': (id) => ({
    ...generic('password-reset-post-challenge')(id),
    authentication: passwordMethod(),
  }),
  'custom-token-exchange': (id) => ({
    ...generic('custom-token-exchange')(id),
    transaction: {
      ...transaction('custom-token-exchange', id),
      protocol: 'oauth2-token-exchange',
      subject_token_type: 'urn:example:external-idp-token',
    },
  }),
};
