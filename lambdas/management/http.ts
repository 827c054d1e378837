/**
 * The management API's HTTP layer, whatever it serves (modules, actions): a table of routes, Auth0's error
 * body, JSON-only bodies. Pure: takes a request, answers a response; the routes call the registries.
 */
import { STATUS_CODES } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequestError, RegistryError } from '../lifecycle/errors';
import type { LogPort } from '../lifecycle/ports';
import { HttpError } from '../shared/errors';

export interface ManagementRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as text (already base64-decoded). */
  readonly body?: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What happened, for logs and metrics: never a body. */
export interface RouteOutcome {
  readonly route: string;
  readonly published?: { readonly latencyMs: number; readonly buildMs: number };
}

export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

export type Handler<C> = (
  request: ManagementRequest,
  params: Record<string, string>,
  context: C,
) => Promise<{ response: HttpResponse; outcome?: Partial<RouteOutcome> }>;

export interface Route<C> {
  readonly name: string;
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler<C>>>;
}

/** A path segment: an id, URI-decoded. */
export const ID = '([^/]+)';

/** Serves one management request. Refusals become Auth0-style error bodies; anything else is thrown. */
export async function handleManagementRequest<C>(
  request: ManagementRequest,
  routes: readonly Route<C>[],
  context: C,
  logger: LogPort,
): Promise<{ response: HttpResponse; outcome: RouteOutcome }> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const match = matchRoute(routes, path);
  if (!match) {
    return {
      response: errorResponse(
        404,
        'inexistent_route',
        `Nothing is served at ${request.method} ${path.slice(0, 200)}.`,
      ),
      outcome: { route: 'none' },
    };
  }
  const { route, params } = match;
  const method = request.method.toUpperCase();
  const handler = route.methods[method];
  if (!handler) {
    const allow = Object.keys(route.methods).join(', ');
    const response = errorResponse(405, 'method_not_allowed', `${method} is not allowed here; use ${allow}.`);
    return {
      response: { ...response, headers: { ...response.headers, Allow: allow } },
      outcome: { route: route.name },
    };
  }
  const unsupported = refuseNonJsonBody(request);
  if (unsupported) return { response: unsupported, outcome: { route: route.name } };
  try {
    const { response, outcome } = await handler(request, params, context);
    return { response, outcome: { route: route.name, ...outcome } };
  } catch (error) {
    if (error instanceof RegistryError) {
      logger.info('Refused a management request', {
        route: route.name,
        statusCode: error.statusCode,
        errorCode: error.errorCode,
      });
      return {
        response: errorResponse(error.statusCode, error.errorCode, error.message),
        outcome: { route: route.name },
      };
    }
    if (error instanceof HttpError) {
      return {
        response: errorResponse(
          error.statusCode,
          snakeCase(STATUS_CODES[error.statusCode] ?? 'error'),
          error.message,
        ),
        outcome: { route: route.name },
      };
    }
    throw error;
  }
}

/** The management request a Function URL event (payload format 2.0) carries. */
export function fromFunctionUrlEvent(event: APIGatewayProxyEventV2): ManagementRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const query = Object.fromEntries(new URLSearchParams(event.rawQueryString ?? ''));
  let body: string | undefined;
  if (event.body !== undefined && event.body !== null) {
    body = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  }
  return {
    method: event.requestContext.http.method,
    path: event.rawPath ?? event.requestContext.http.path,
    query,
    headers,
    ...(body === undefined ? {} : { body }),
  };
}

/** Auth0's error body. */
export function errorResponse(statusCode: number, errorCode: string, message: string): HttpResponse {
  return json(statusCode, { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, errorCode });
}

function matchRoute<C>(
  routes: readonly Route<C>[],
  path: string,
): { route: Route<C>; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    const [, id, versionId] = found.map((part) => (part === undefined ? part : safeDecode(part)));
    return {
      route,
      params: { ...(id ? { id } : {}), ...(versionId ? { versionId } : {}) },
    };
  }
  return undefined;
}

export function ok(statusCode: number, body: unknown) {
  return { response: json(statusCode, body) };
}

export function readBody(request: ManagementRequest): unknown {
  const text = request.body ?? '';
  if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BODY_BYTES) {
    throw new RegistryError(
      413,
      'payload_too_large',
      `The request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes.`,
    );
  }
  if (text.trim().length === 0) {
    throw new InvalidRequestError('The request body is empty; send a JSON object.');
  }
  try {
    return JSON.parse(text);
  } catch {
    // The body is not echoed: it may hold secret values.
    throw new InvalidRequestError(
      'The request body is not valid JSON; send a JSON object (Content-Type: application/json).',
    );
  }
}

/**
 * Bodies are JSON only. A form or `text/plain` body is what any web page can send cross-site without a
 * preflight, and nothing this API takes is expressed as flat form fields anyway.
 */
function refuseNonJsonBody(request: ManagementRequest): HttpResponse | undefined {
  if (request.body === undefined || request.body.length === 0) return undefined;
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType))
    return undefined;
  const received = mediaType ? `Content-Type ${JSON.stringify(mediaType.slice(0, 100))}` : 'no Content-Type';
  return errorResponse(
    415,
    'unsupported_media_type',
    `The management API takes JSON bodies only (Content-Type: application/json), got ${received}.`,
  );
}

export function json(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function snakeCase(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}
