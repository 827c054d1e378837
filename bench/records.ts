/**
 * Realistic Auth0 Custom Webhook batches for the bench: the log types a tenant sends most (logins, token
 * exchanges, silent auth, Management API calls, failures, MFA, signups), with the fields Auth0 fills in for
 * each and a `details` object on most, as in real streams. Deterministic: the same count and run give the same
 * bytes, so every measurement of a run sees the same body.
 */

/** A small seeded generator (mulberry32), so a batch is varied but the same on every call. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLIENTS = [
  { client_id: 'Tz8KbXUr2mJq5WvN7cYd0pLs3HgFaE1i', client_name: 'Web' },
  { client_id: 'q2Wm9ZkR4vTn8LpB6xCs1YdH3fGj7NaE', client_name: 'iOS' },
  { client_id: 'Lx5Vb8Nm2Qw4Er6Ty1Ui3Op7As9Df0Gh', client_name: 'Partner Portal' },
];
const AGENTS = [
  'Chrome 131.0.0 / Mac OS X',
  'Safari 18.1.1 / iOS 18.1',
  'Firefox 133.0.0 / Windows 10',
  'okhttp 4.12.0 / Android 14',
];
const CONNECTION = { connection: 'Username-Password-Authentication', connection_id: 'con_8fKq2LmX7vBn3RtZ' };

type Record = { [field: string]: unknown };

/** One log record of type chosen by `pick`; `id` is its log_id. */
function record(id: string, i: number, next: () => number): Record {
  const client = CLIENTS[i % CLIENTS.length] as (typeof CLIENTS)[number];
  const user = Math.floor(next() * 50_000);
  const ms = Date.UTC(2026, 11, 3, 10) + i * 997;
  const base = {
    date: new Date(ms).toISOString(),
    ip: `203.0.113.${user % 250}`,
    user_agent: AGENTS[user % AGENTS.length],
    ...client,
  };
  const who = {
    user_id: `auth0|65f1c0${user.toString(16).padStart(12, '0')}`,
    user_name: `u${user}@acme.test`,
  };
  const roll = next();
  if (roll < 0.4) {
    return {
      ...base,
      type: 'seacft',
      description: '',
      connection_id: '',
      ...who,
      audience: 'https://api.acme.test/',
      scope: 'openid profile email',
      details: { code: `*************${user.toString(36)}` },
      log_id: id,
    };
  }
  if (roll < 0.5) {
    return {
      ...base,
      type: 's',
      description: 'Successful login',
      ...CONNECTION,
      ...who,
      strategy: 'auth0',
      strategy_type: 'database',
      details: {
        prompts: [{ name: 'login', completedAt: ms - 40, elapsedTime: 812 }],
        completedAt: ms,
        elapsedTime: 900,
        stats: { loginsCount: 1 + (user % 300) },
      },
      log_id: id,
    };
  }
  if (roll < 0.65) {
    return {
      ...base,
      type: 'ssa',
      description: 'Successful silent auth',
      connection: '',
      connection_id: '',
      ...who,
      details: { prompts: [], completedAt: ms, elapsedTime: null },
      log_id: id,
    };
  }
  if (roll < 0.78) {
    return {
      ...base,
      type: roll < 0.72 ? 'f' : 'fp',
      description: 'Wrong email or password.',
      ...CONNECTION,
      user_id: '',
      user_name: who.user_name,
      strategy: 'auth0',
      strategy_type: 'database',
      details: { error: { message: 'Wrong email or password.' } },
      log_id: id,
    };
  }
  if (roll < 0.86) {
    return {
      ...base,
      type: 'sapi',
      description: 'Update a user',
      client_name: '',
      details: {
        request: {
          method: 'patch',
          path: `/api/v2/users/${encodeURIComponent(who.user_id)}`,
          query: {},
          body: { app_metadata: { plan: 'pro', seats: 1 + (user % 20) } },
          channel: 'api',
          auth: { strategy: 'jwt', credentials: { scopes: ['read:users', 'update:users'] } },
        },
        response: { statusCode: 200, body: {} },
      },
      log_id: id,
    };
  }
  if (roll < 0.92) {
    return {
      ...base,
      type: 'gd_auth_succeed',
      description: 'Guardian - Second factor authentication succeeded',
      ...who,
      details: { authenticator: { type: 'otp', id: `totp|dev_${user.toString(36)}` } },
      log_id: id,
    };
  }
  if (roll < 0.96) {
    return {
      ...base,
      type: 'ss',
      description: '',
      ...CONNECTION,
      ...who,
      scope: ['openid', 'profile'],
      details: { body: { tenant: 'acme', client_id: client.client_id, connection: CONNECTION.connection } },
      log_id: id,
    };
  }
  // A code Auth0 added later, with a field the schema does not know and a null client: published as received.
  return {
    ...base,
    type: 'limit_wc',
    description: 'Blocked account',
    client_id: null,
    user_id: '',
    user_name: who.user_name,
    is_mobile: false,
    $event_schema: { version: '1.0.0' },
    log_id: id,
  };
}

/**
 * `count` entries of a Custom Webhook JSON Array body: `{log_id, data}`, with log_ids unique to `run` (its first
 * five characters), all of one length, so that a body's size depends on the count alone.
 */
export function realisticEntries(count: number, run = 'bench'): Record[] {
  const next = random(count * 7919);
  const suffix = run.slice(0, 5).padEnd(5, '0');
  return Array.from({ length: count }, (_, i) => {
    const id = `90020261203100000${String(i).padStart(9, '0')}${suffix}`;
    return { log_id: id, data: record(id, i, next) };
  });
}

/** The JSON Array body Auth0 would POST for `count` records. */
export function realisticBody(count: number, run = 'bench'): string {
  return JSON.stringify(realisticEntries(count, run));
}
