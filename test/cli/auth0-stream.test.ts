/** The pure parts of `a0bridge auth0`: domains, secret checks, URL warnings, and the create-or-PATCH plan. */
import { describe, expect, it } from 'vitest';
import { mentionsSecret, parseDomain } from '../../cli/auth0-api';
import {
  findStream,
  ingestUrlWarnings,
  type LogStream,
  parseContentFormat,
  planConnect,
  redactStream,
} from '../../cli/auth0-stream';

const TENANT = parseDomain('tenant.eu.auth0.com');
const STAND_IN = parseDomain('http://127.0.0.1:4010');
const SINK = {
  httpEndpoint: 'https://abc.lambda-url.eu-west-1.on.aws/',
  httpAuthorization: 'Bearer t0ken-value',
  httpContentFormat: 'JSONARRAY' as const,
  httpContentType: 'application/json',
};

function stream(overrides: Partial<LogStream> = {}): LogStream {
  return {
    id: 'lst_1',
    name: 'auth0-event-bridge',
    type: 'http',
    status: 'active',
    sink: { ...SINK },
    ...overrides,
  };
}

describe('parseDomain', () => {
  it('takes a tenant or custom domain, with or without https://, as an https origin', () => {
    expect(parseDomain('tenant.eu.auth0.com')).toEqual({
      origin: 'https://tenant.eu.auth0.com',
      host: 'tenant.eu.auth0.com',
      loopback: false,
    });
    expect(parseDomain(' https://login.example.com/ ')).toEqual({
      origin: 'https://login.example.com',
      host: 'login.example.com',
      loopback: false,
    });
    expect(STAND_IN).toEqual({ origin: 'http://127.0.0.1:4010', host: '127.0.0.1:4010', loopback: true });
  });

  it('refuses http off loopback, paths, credentials and names without a dot', () => {
    expect(() => parseDomain('http://tenant.eu.auth0.com')).toThrow(/uses http: .* https only/);
    expect(() => parseDomain('https://tenant.eu.auth0.com/api/v2/')).toThrow(/without a path/);
    expect(() => parseDomain('https://user:pw@tenant.eu.auth0.com')).toThrow(/without a path, query or user/);
    expect(() => parseDomain('tenant')).toThrow(/has no dot/);
    expect(() => parseDomain('ftp://tenant.eu.auth0.com')).toThrow(/uses ftp/);
  });
});

describe('mentionsSecret', () => {
  it('finds a secret whole, or any 8 characters of it in a row', () => {
    const secret = 'abcdefghijklmnop';

    expect(mentionsSecret(`token ${secret} refused`, [secret])).toBe(true);
    expect(mentionsSecret('Bearer ghijklmn…', [secret])).toBe(true);
    expect(mentionsSecret('Bearer abcdefg…', [secret])).toBe(false);
    expect(mentionsSecret('Invalid token', [secret, ''])).toBe(false);
  });
});

describe('ingestUrlWarnings', () => {
  it('warns that a real tenant cannot reach this machine, and takes https only', () => {
    const [warning, ...others] = ingestUrlWarnings(new URL('http://127.0.0.1:3000/'), TENANT);

    expect(warning).toMatch(
      /on this machine: Auth0's servers cannot reach your laptop, and a real tenant takes https:\/\/ endpoints only; put an https tunnel/,
    );
    expect(others).toEqual([]);
  });

  it('warns of http alone against a stand-in, and of Event Streams and Actions paths', () => {
    expect(ingestUrlWarnings(new URL('http://127.0.0.1:3000/'), STAND_IN)).toEqual([
      expect.stringMatching(/^The ingest URL http:\/\/127\.0\.0\.1:3000\/ is http: .*https tunnel/),
    ]);
    expect(ingestUrlWarnings(new URL('https://bridge.example.com/actions/post-login'), TENANT)).toEqual([
      expect.stringMatching(
        /the path for Actions events: a log stream posts to the root .*\(https:\/\/bridge\.example\.com\/\)/,
      ),
    ]);
    expect(ingestUrlWarnings(new URL('https://abc.lambda-url.eu-west-1.on.aws/'), TENANT)).toEqual([]);
  });
});

describe('planConnect', () => {
  const wanted = { name: 'auth0-event-bridge', sink: SINK };

  it('creates with name, type and sink, and no status (the create schema has none)', () => {
    expect(planConnect(undefined, wanted, true)).toEqual({
      action: 'create',
      body: { name: 'auth0-event-bridge', type: 'http', sink: SINK },
    });
  });

  it('PATCHes the whole sink when one field differs, never the type', () => {
    const plan = planConnect(stream({ sink: { ...SINK, httpAuthorization: 'Bearer old' } }), wanted, false);

    expect(plan).toMatchObject({
      action: 'update',
      body: { sink: SINK },
      changes: [{ field: 'authorization', from: 'Bearer old', to: SINK.httpAuthorization }],
    });
    expect(Object.keys(plan.action === 'update' ? plan.body : {})).toEqual(['sink']);
  });

  it('re-activates only with resume, and only a stream that is not active', () => {
    const suspended = stream({ status: 'suspended' });

    expect(planConnect(suspended, wanted, false)).toEqual({ action: 'none', stream: suspended });
    expect(planConnect(suspended, wanted, true)).toMatchObject({
      action: 'update',
      body: { status: 'active' },
      changes: [{ field: 'status', from: 'suspended', to: 'active' }],
    });
    expect(planConnect(stream(), wanted, true)).toMatchObject({ action: 'none' });
  });
});

describe('findStream', () => {
  it('refuses a name two streams share, or a stream of another type', () => {
    expect(() => findStream([stream(), stream({ id: 'lst_2' })], 'auth0-event-bridge')).toThrow(
      /2 log streams are named "auth0-event-bridge" \(lst_1, lst_2\)/,
    );
    expect(() => findStream([stream({ type: 'datadog' })], 'auth0-event-bridge')).toThrow(/of type datadog/);
    expect(findStream([stream({ name: 'other' })], 'auth0-event-bridge')).toBeUndefined();
  });
});

describe('redactStream and parseContentFormat', () => {
  it('hides the authorization and custom header values, and nothing else', () => {
    const redacted = redactStream(
      stream({ sink: { ...SINK, httpCustomHeaders: [{ header: 'X-Key', value: 'k3y' }] } }),
    );

    expect(redacted.sink).toEqual({
      ...SINK,
      httpAuthorization: '(not shown)',
      httpCustomHeaders: [{ header: 'X-Key', value: '(not shown)' }],
    });
  });

  it('takes the formats in any case, JSONARRAY by default', () => {
    expect(parseContentFormat(undefined)).toBe('JSONARRAY');
    expect(parseContentFormat('jsonLines')).toBe('JSONLINES');
    expect(() => parseContentFormat('csv')).toThrow(/one of JSONARRAY, JSONLINES, JSONOBJECT/);
  });
});
