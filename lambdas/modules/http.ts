/**
 * Auth0's Management API paths for Action Modules, on top of the registry core. Pure: takes a request,
 * answers a response, and leaves I/O to the registry's ports.
 */
import { STATUS_CODES } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from '../shared/errors';
import { InvalidRequestError, RegistryError } from './errors';
import type { ModuleRecord } from './model';
import type { LogPort } from './ports';
import { presentModule, presentModuleListItem, presentUsage, presentVersion } from './present';
import type { ModuleRegistry, ModuleView } from './registry';
import { parseCreateModule, parsePaging, parseRollback, parseUpdateModule } from './validate';

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

export const API_PREFIX = '/api/v2/actions/modules';
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

type Handler = (
  request: ManagementRequest,
  params: Record<string, string>,
  registry: ModuleRegistry,
) => Promise<{ response: HttpResponse; outcome?: Partial<RouteOutcome> }>;

interface Route {
  readonly name: string;
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
}

const ID = '([^/]+)';
const ROUTES: readonly Route[] = [
  {
    name: 'modules',
    pattern: new RegExp(`^${API_PREFIX}$`),
    methods: {
      GET: async (request, _params, registry) => {
        const listed = await registry.listModules(parsePaging(request.query));
        return ok(200, {
          modules: listed.items.map(presentModuleListItem),
          total: listed.total,
          page: listed.paging?.page ?? 0,
          per_page: listed.paging?.perPage ?? listed.items.length,
        });
      },
      POST: async (request, _params, registry) => {
        const view = await registry.createModule(parseCreateModule(readBody(request), registry.limits));
        return moduleResponse(201, view);
      },
    },
  },
  {
    name: 'module',
    pattern: new RegExp(`^${API_PREFIX}/${ID}$`),
    methods: {
      GET: async (_request, { id }, registry) => moduleResponse(200, await registry.getModule(id as string)),
      PATCH: async (request, { id }, registry) => {
        const input = parseUpdateModule(readBody(request), registry.limits);
        return moduleResponse(
          200,
          await registry.updateModule(id as string, input, request.headers['if-match']),
        );
      },
      DELETE: async (_request, { id }, registry) => {
        await registry.deleteModule(id as string);
        return { response: { statusCode: 204, headers: {}, body: '' } };
      },
    },
  },
  {
    name: 'versions',
    pattern: new RegExp(`^${API_PREFIX}/${ID}/versions$`),
    methods: {
      GET: async (request, { id }, registry) => {
        const listed = await registry.listVersions(id as string, parsePaging(request.query, 20));
        return ok(200, {
          versions: listed.items.map(presentVersion),
          total: listed.total,
          page: listed.paging?.page ?? 0,
          per_page: listed.paging?.perPage ?? 20,
        });
      },
      POST: async (request, { id }, registry) => {
        if (request.body?.trim()) {
          const body = readBody(request);
          if (typeof body !== 'object' || body === null || Object.keys(body).length > 0) {
            throw new InvalidRequestError(
              'Publishing takes no request body; it publishes the current draft.',
            );
          }
        }
        const outcome = await registry.publish(id as string, request.headers['if-match']);
        return {
          ...ok(200, presentVersion(outcome.version)),
          outcome: { published: { latencyMs: outcome.latencyMs, buildMs: outcome.buildMs } },
        };
      },
    },
  },
  {
    name: 'version',
    pattern: new RegExp(`^${API_PREFIX}/${ID}/versions/${ID}$`),
    methods: {
      GET: async (_request, { id, versionId }, registry) =>
        ok(200, presentVersion(await registry.getVersion(id as string, versionId as string))),
    },
  },
  {
    name: 'rollback',
    pattern: new RegExp(`^${API_PREFIX}/${ID}/rollback$`),
    methods: {
      POST: async (request, { id }, registry) => {
        const { moduleVersionId } = parseRollback(readBody(request));
        return moduleResponse(
          200,
          await registry.rollback(id as string, moduleVersionId, request.headers['if-match']),
        );
      },
    },
  },
  {
    name: 'actions',
    pattern: new RegExp(`^${API_PREFIX}/${ID}/actions$`),
    methods: {
      GET: async (request, { id }, registry) => {
        const listed = await registry.listActions(id as string, parsePaging(request.query, 20));
        return ok(200, {
          actions: listed.items.map(presentUsage),
          total: listed.total,
          page: listed.paging?.page ?? 0,
          per_page: listed.paging?.perPage ?? 20,
        });
      },
    },
  },
];

/** Serves one management request. Refusals become Auth0-style error bodies; anything else is thrown. */
export async function handleManagementRequest(
  request: ManagementRequest,
  registry: ModuleRegistry,
  logger: LogPort,
): Promise<{ response: HttpResponse; outcome: RouteOutcome }> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const match = matchRoute(path);
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
    const { response, outcome } = await handler(request, params, registry);
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

function matchRoute(path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
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

function moduleResponse(statusCode: number, view: ModuleView) {
  const response = json(statusCode, presentModule(view.module, view.latest));
  return { response: { ...response, headers: { ...response.headers, ETag: etag(view.module) } } };
}

/** The draft revision: send it back in `If-Match` to change the draft only if nobody else did meanwhile. */
function etag(module: ModuleRecord): string {
  return `"${module.draftRevision}"`;
}

function ok(statusCode: number, body: unknown) {
  return { response: json(statusCode, body) };
}

function readBody(request: ManagementRequest): unknown {
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

function json(statusCode: number, body: unknown): HttpResponse {
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
