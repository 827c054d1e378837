/**
 * A stand-in for an Auth0 tenant, on a free loopback port, with the endpoints `a0bridge auth0` uses:
 * POST /oauth/token (client credentials grant), GET/POST /api/v2/log-streams and GET/PATCH
 * /api/v2/log-streams/{id}. It refuses what the reference spec (auth0-management-log-streams-openapi.yml)
 * refuses: a missing or unknown bearer token, a token without the operation's scope, and bodies outside the
 * create and update schemas (fields not allowed there, an `http://` endpoint, values outside the enums). Its
 * error bodies have Auth0's shape, `{statusCode, error, message, errorCode}`, and echo the offending value
 * the way Auth0's validation messages do.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StreamStatus = 'active' | 'paused' | 'suspended';

export interface NewFakeLogStream {
  name: string;
  type: string;
  status: StreamStatus;
  sink: Record<string, unknown>;
  filters?: unknown[];
}

export interface FakeLogStream extends NewFakeLogStream {
  id: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
}

export interface FakeAuth0Options {
  /** The machine-to-machine application the client credentials grant accepts. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** A ready Management API token (as from the API Explorer), with every log-stream scope. */
  readonly managementToken?: string;
  /** The scopes tokens from the client credentials grant carry. @default every log-stream scope */
  readonly clientScopes?: readonly string[];
}

export interface FakeAuth0 {
  /** `http://127.0.0.1:<port>`, what `--domain` takes. */
  readonly origin: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly managementToken: string;
  /** The tenant's log streams, live. */
  readonly streams: FakeLogStream[];
  /** Every request, in order, with its parsed body and the status answered. */
  readonly requests: RecordedRequest[];
  /** Access tokens the client credentials grant handed out. */
  readonly issuedTokens: string[];
  /** Adds a stream as if made in the Dashboard; returns it. */
  seed(stream: NewFakeLogStream): FakeLogStream;
  /** What Auth0 does after repeated delivery failures (`suspended`), or a user in the Dashboard (`paused`). */
  setStatus(id: string, status: StreamStatus): void;
  /** The next Management API write (POST or PATCH) fails with this status and body, made from its body text. */
  failNextWrite(status: number, body: (requestBody: string) => Record<string, unknown>): void;
  close(): Promise<void>;
}

const ALL_SCOPES = ['read:log_streams', 'create:log_streams', 'update:log_streams'];
const STATUSES: readonly StreamStatus[] = ['active', 'paused', 'suspended'];
const FORMATS = ['JSONARRAY', 'JSONLINES', 'JSONOBJECT'];
const TYPES = ['http', 'eventbridge', 'eventgrid', 'datadog', 'splunk', 'sumo', 'segment', 'mixpanel'];
const CREATE_FIELDS = ['name', 'type', 'isPriority', 'filters', 'pii_config', 'sink', 'startFrom'];
const UPDATE_FIELDS = ['name', 'status', 'isPriority', 'filters', 'pii_config', 'sink'];
const HTTP_SINK_FIELDS = [
  'httpAuthorization',
  'httpContentFormat',
  'httpContentType',
  'httpEndpoint',
  'httpCustomHeaders',
];

/** A refusal with Auth0's error shape. */
class Refusal extends Error {
  public constructor(
    public readonly status: number,
    public readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  415: 'Unsupported Media Type',
};

function invalidBody(message: string): Refusal {
  return new Refusal(400, 'invalid_body', `Payload validation error: ${message}`);
}

export async function startFakeAuth0(options: FakeAuth0Options = {}): Promise<FakeAuth0> {
  const clientId = options.clientId ?? `fake-client-${randomBytes(6).toString('hex')}`;
  const clientSecret = options.clientSecret ?? `fake-secret-${randomBytes(18).toString('base64url')}`;
  const managementToken = options.managementToken ?? `fake-mgmt-${randomBytes(18).toString('base64url')}`;
  const scopesByToken = new Map<string, readonly string[]>([[managementToken, ALL_SCOPES]]);
  const streams: FakeLogStream[] = [];
  const requests: RecordedRequest[] = [];
  const issuedTokens: string[] = [];
  let nextId = 1;
  let failure: { status: number; body: (text: string) => Record<string, unknown> } | undefined;
  let origin = '';

  const newId = () => `lst_${String(nextId++).padStart(16, '0')}`;

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const method = request.method ?? 'GET';
    let parsed: unknown;
    const answer = (status: number, body: unknown) => {
      requests.push({ method, path, status, body: parsed });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    try {
      parsed = parseBody(request, text);
      if (path === '/oauth/token') {
        if (method !== 'POST') throw new Refusal(405, 'method_not_allowed', 'POST only');
        const grant = tokenGrant(parsed);
        if ('error' in grant) {
          requests.push({ method, path, status: grant.status, body: parsed });
          response.writeHead(grant.status, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: grant.error, error_description: grant.description }));
          return;
        }
        return answer(200, grant);
      }
      const match = /^\/api\/v2\/log-streams(?:\/([^/]+))?\/?$/.exec(path);
      if (!match) throw new Refusal(404, 'not_found', `Not Found: ${method} ${path}`);
      const id = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
      const scope =
        method === 'GET'
          ? 'read:log_streams'
          : method === 'POST'
            ? 'create:log_streams'
            : 'update:log_streams';
      authorize(request, scope);
      if ((method === 'POST' || method === 'PATCH') && failure) {
        const { status, body } = failure;
        failure = undefined;
        return answer(status, body(text));
      }
      if (id === undefined && method === 'GET') return answer(200, streams);
      if (id === undefined && method === 'POST') return answer(200, create(parsed));
      if (id !== undefined && method === 'GET') return answer(200, find(id));
      if (id !== undefined && method === 'PATCH') return answer(200, update(find(id), parsed));
      throw new Refusal(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      answer(error.status, {
        statusCode: error.status,
        error: REASONS[error.status] ?? 'Error',
        message: error.message,
        errorCode: error.errorCode,
      });
    }
  }

  function parseBody(request: IncomingMessage, text: string): unknown {
    if (text.length === 0) return undefined;
    const type = request.headers['content-type'] ?? '';
    if (type.startsWith('application/x-www-form-urlencoded')) {
      return Object.fromEntries(new URLSearchParams(text));
    }
    if (!type.startsWith('application/json')) {
      throw new Refusal(415, 'unsupported_media_type', `Unsupported content type: ${type}`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new Refusal(400, 'invalid_body', 'Invalid request payload JSON format');
    }
  }

  function tokenGrant(
    body: unknown,
  ):
    | { status: number; error: string; description: string }
    | { access_token: string; scope: string; expires_in: number; token_type: string } {
    const grant = (body ?? {}) as Record<string, unknown>;
    if (grant.grant_type !== 'client_credentials') {
      return { status: 403, error: 'unsupported_grant_type', description: 'Unsupported grant type' };
    }
    if (grant.client_id !== clientId || grant.client_secret !== clientSecret) {
      return { status: 401, error: 'access_denied', description: 'Unauthorized' };
    }
    if (grant.audience !== `${origin}/api/v2/`) {
      return {
        status: 403,
        error: 'access_denied',
        description: `Service not found: ${String(grant.audience)}`,
      };
    }
    const accessToken = `fake-access-${randomBytes(24).toString('base64url')}`;
    const scopes = options.clientScopes ?? ALL_SCOPES;
    scopesByToken.set(accessToken, scopes);
    issuedTokens.push(accessToken);
    return { access_token: accessToken, scope: scopes.join(' '), expires_in: 86400, token_type: 'Bearer' };
  }

  function authorize(request: IncomingMessage, scope: string): void {
    const header = request.headers.authorization;
    if (!header) throw new Refusal(401, 'missing_authentication', 'Missing authentication');
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const scopes = token === undefined ? undefined : scopesByToken.get(token);
    if (!scopes) throw new Refusal(401, 'invalid_token', 'Invalid token');
    if (!scopes.includes(scope)) {
      throw new Refusal(403, 'insufficient_scope', `Insufficient scope; expected any of: ${scope}`);
    }
  }

  function find(id: string): FakeLogStream {
    const stream = streams.find((candidate) => candidate.id === id);
    if (!stream) throw new Refusal(404, 'inexistent_log_stream', 'The log stream does not exist.');
    return stream;
  }

  function create(body: unknown): FakeLogStream {
    const fields = objectOf(body, 'the body');
    allowOnly(fields, CREATE_FIELDS, '');
    for (const required of ['type', 'sink']) {
      if (!(required in fields)) throw invalidBody(`'Missing required property: ${required}'.`);
    }
    if (!TYPES.includes(fields.type as string)) {
      throw invalidBody(`'No enum match for: ${JSON.stringify(fields.type)}' on property type.`);
    }
    if (fields.type !== 'http')
      throw invalidBody(`'this stand-in creates http streams only' on property type.`);
    if (fields.name !== undefined && typeof fields.name !== 'string') {
      throw invalidBody(`'Expected type string but found type ${typeof fields.name}' on property name.`);
    }
    checkHttpSink(fields.sink);
    const stream: FakeLogStream = {
      id: newId(),
      name: (fields.name as string | undefined) ?? 'Custom Webhook',
      type: 'http',
      status: 'active',
      sink: { ...(fields.sink as Record<string, unknown>) },
      ...(fields.filters === undefined ? {} : { filters: fields.filters as unknown[] }),
    };
    streams.push(stream);
    return stream;
  }

  function update(stream: FakeLogStream, body: unknown): FakeLogStream {
    const fields = objectOf(body, 'the body');
    allowOnly(fields, UPDATE_FIELDS, '');
    if (fields.status !== undefined) {
      if (!STATUSES.includes(fields.status as StreamStatus)) {
        throw invalidBody(`'No enum match for: ${JSON.stringify(fields.status)}' on property status.`);
      }
      // The PATCH description offers `active|paused`: `suspended` is Auth0's own doing.
      if (fields.status === 'suspended') {
        throw new Refusal(400, 'invalid_body', 'A log stream cannot be suspended by a request.');
      }
    }
    if (fields.sink !== undefined) {
      if (stream.type === 'eventbridge' || stream.type === 'eventgrid') {
        throw new Refusal(
          400,
          'invalid_body',
          `Updating the sink of a ${stream.type} stream is not permitted.`,
        );
      }
      if (stream.type !== 'http')
        throw invalidBody(`'this stand-in updates http sinks only' on property sink.`);
      checkHttpSink(fields.sink);
    }
    if (fields.name !== undefined) stream.name = fields.name as string;
    if (fields.status !== undefined) stream.status = fields.status as StreamStatus;
    if (fields.sink !== undefined) stream.sink = { ...(fields.sink as Record<string, unknown>) };
    if (fields.filters !== undefined) stream.filters = fields.filters as unknown[];
    return stream;
  }

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
  origin = `http://127.0.0.1:${address.port}`;

  return {
    origin,
    clientId,
    clientSecret,
    managementToken,
    streams,
    requests,
    issuedTokens,
    seed: (stream) => {
      const seeded = { ...stream, id: newId() };
      streams.push(seeded);
      return seeded;
    },
    setStatus: (id, status) => {
      const stream = streams.find((candidate) => candidate.id === id);
      if (!stream) throw new Error(`The fake Auth0 has no log stream ${id}.`);
      stream.status = status;
    },
    failNextWrite: (status, body) => {
      failure = { status, body };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidBody(
      `'Expected type object but found type ${Array.isArray(value) ? 'array' : typeof value}' on ${what}.`,
    );
  }
  return value as Record<string, unknown>;
}

function allowOnly(fields: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  const extra = Object.keys(fields).filter((key) => !allowed.includes(key));
  if (extra.length > 0) {
    throw invalidBody(
      `'Additional properties not allowed: ${extra.join(',')}'${prefix ? ` on property ${prefix}` : ''}.`,
    );
  }
}

/** `LogStreamHttpSink`: the same schema on create and on PATCH. */
function checkHttpSink(value: unknown): void {
  const sink = objectOf(value, 'property sink');
  allowOnly(sink, HTTP_SINK_FIELDS, 'sink');
  if (typeof sink.httpEndpoint !== 'string') {
    throw invalidBody(`'Missing required property: httpEndpoint' on property sink.`);
  }
  if (!/^https:\/\/.*/.test(sink.httpEndpoint)) {
    throw invalidBody(
      `'String does not match pattern ^https://.*: ${sink.httpEndpoint}' on property sink.httpEndpoint (HTTP endpoint).`,
    );
  }
  for (const field of ['httpAuthorization', 'httpContentType', 'httpContentFormat']) {
    if (sink[field] !== undefined && typeof sink[field] !== 'string') {
      throw invalidBody(
        `'Expected type string but found type ${typeof sink[field]}' on property sink.${field}.`,
      );
    }
  }
  if (sink.httpContentFormat !== undefined && !FORMATS.includes(sink.httpContentFormat as string)) {
    throw invalidBody(
      `'No enum match for: ${JSON.stringify(sink.httpContentFormat)}' on property sink.httpContentFormat.`,
    );
  }
  if (sink.httpCustomHeaders !== undefined && !Array.isArray(sink.httpCustomHeaders)) {
    throw invalidBody(`'Expected type array' on property sink.httpCustomHeaders.`);
  }
}
