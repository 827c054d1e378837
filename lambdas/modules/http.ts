/**
 * Auth0's Management API paths for Action Modules, on top of the registry core. The HTTP layer they plug
 * into is `lambdas/management/http.ts`.
 */
import type { ManagementContext } from '../management/context';
import { ID, json, ok, type Route, readBody } from '../management/http';
import { InvalidRequestError } from './errors';
import type { ModuleRecord } from './model';
import { presentModule, presentModuleListItem, presentUsage, presentVersion } from './present';
import type { ModuleView } from './registry';
import { parseCreateModule, parsePaging, parseRollback, parseUpdateModule } from './validate';

export const API_PREFIX = '/api/v2/actions/modules';

export const MODULE_ROUTES: readonly Route<ManagementContext>[] = [
  {
    name: 'modules',
    pattern: new RegExp(`^${API_PREFIX}$`),
    methods: {
      GET: async (request, _params, { modules: registry }) => {
        const listed = await registry.listModules(parsePaging(request.query));
        return ok(200, {
          modules: listed.items.map(presentModuleListItem),
          total: listed.total,
          page: listed.paging?.page ?? 0,
          per_page: listed.paging?.perPage ?? listed.items.length,
        });
      },
      POST: async (request, _params, { modules: registry }) => {
        const view = await registry.createModule(parseCreateModule(readBody(request), registry.limits));
        return moduleResponse(201, view);
      },
    },
  },
  {
    name: 'module',
    pattern: new RegExp(`^${API_PREFIX}/${ID}$`),
    methods: {
      GET: async (_request, { id }, { modules: registry }) =>
        moduleResponse(200, await registry.getModule(id as string)),
      PATCH: async (request, { id }, { modules: registry }) => {
        const input = parseUpdateModule(readBody(request), registry.limits);
        return moduleResponse(
          200,
          await registry.updateModule(id as string, input, request.headers['if-match']),
        );
      },
      DELETE: async (_request, { id }, { modules: registry }) => {
        await registry.deleteModule(id as string);
        return { response: { statusCode: 204, headers: {}, body: '' } };
      },
    },
  },
  {
    name: 'versions',
    pattern: new RegExp(`^${API_PREFIX}/${ID}/versions$`),
    methods: {
      GET: async (request, { id }, { modules: registry }) => {
        const listed = await registry.listVersions(id as string, parsePaging(request.query, 20));
        return ok(200, {
          versions: listed.items.map(presentVersion),
          total: listed.total,
          page: listed.paging?.page ?? 0,
          per_page: listed.paging?.perPage ?? 20,
        });
      },
      POST: async (request, { id }, { modules: registry }) => {
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
      GET: async (_request, { id, versionId }, { modules: registry }) =>
        ok(200, presentVersion(await registry.getVersion(id as string, versionId as string))),
    },
  },
  {
    name: 'rollback',
    pattern: new RegExp(`^${API_PREFIX}/${ID}/rollback$`),
    methods: {
      POST: async (request, { id }, { modules: registry }) => {
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
      GET: async (request, { id }, { modules: registry }) => {
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

function moduleResponse(statusCode: number, view: ModuleView) {
  const response = json(statusCode, presentModule(view.module, view.latest));
  return { response: { ...response, headers: { ...response.headers, ETag: etag(view.module) } } };
}

/** The draft revision: send it back in `If-Match` to change the draft only if nobody else did meanwhile. */
function etag(module: ModuleRecord): string {
  return `"${module.draftRevision}"`;
}
