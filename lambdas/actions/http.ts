/**
 * Auth0's Management API paths for Actions, triggers, bindings and executions, on top of the actions
 * registry. They plug into `lambdas/management/http.ts` beside the modules' routes.
 */
import { InvalidRequestError, RegistryError } from '../lifecycle/errors';
import type { ManagementContext } from '../management/context';
import { ID, type ManagementRequest, ok, type Route, readBody } from '../management/http';
import { parsePaging } from '../modules/validate';
import { getTrigger, TRIGGERS } from './bindings/triggers';
import { asRegistryError } from './errors';
import { presentAction, presentBinding, presentExecution, presentVersion } from './present';
import type { ActionRegistry } from './registry';
import { parseBindings, parseCreateAction, parseUpdateAction } from './validate';

export const ACTIONS_PREFIX = '/api/v2/actions/actions';

/** The actions registry, or a 404 where the stack serves modules only. */
function registryOf(context: ManagementContext): ActionRegistry {
  if (!context.actions) throw new RegistryError(404, 'inexistent_route', 'Actions are not served here.');
  return context.actions;
}

/** Wraps a handler: the trigger table's own errors answer 400 (404 when the path names the trigger). */
function handle(
  run: (
    request: ManagementRequest,
    params: Record<string, string>,
    actions: ActionRegistry,
  ) => Promise<ReturnType<typeof ok>>,
  notFoundStatus: 400 | 404 = 400,
) {
  return async (request: ManagementRequest, params: Record<string, string>, context: ManagementContext) => {
    try {
      return await run(request, params, registryOf(context));
    } catch (error) {
      throw asRegistryError(error, notFoundStatus);
    }
  };
}

function etagged(response: ReturnType<typeof ok>, revision: number) {
  return {
    response: { ...response.response, headers: { ...response.response.headers, ETag: `"${revision}"` } },
  };
}

function noBody(request: ManagementRequest): void {
  if (request.body?.trim()) {
    const body = readBody(request);
    if (typeof body !== 'object' || body === null || Object.keys(body).length > 0) {
      throw new InvalidRequestError('This request takes no body.');
    }
  }
}

export const ACTION_ROUTES: readonly Route<ManagementContext>[] = [
  {
    name: 'actions',
    pattern: new RegExp(`^${ACTIONS_PREFIX}$`),
    methods: {
      GET: handle(async (request, _params, actions) => {
        const filter = request.query.triggerId;
        const listed = await actions.listActions(parsePaging(request.query));
        const items = filter
          ? listed.items.filter((action) => action.spec?.supportedTriggers.some(({ id }) => id === filter))
          : listed.items;
        return ok(200, {
          actions: items.map((action) => presentAction(action)),
          total: filter ? items.length : listed.total,
          page: listed.paging?.page ?? 0,
          per_page: listed.paging?.perPage ?? items.length,
        });
      }),
      POST: handle(async (request, _params, actions) => {
        const view = await actions.createAction(parseCreateAction(readBody(request), actions.limits));
        return etagged(ok(201, presentAction(view.action, view.deployed)), view.action.draftRevision);
      }),
    },
  },
  {
    name: 'action',
    pattern: new RegExp(`^${ACTIONS_PREFIX}/${ID}$`),
    methods: {
      GET: handle(async (_request, { id }, actions) => {
        const view = await actions.getAction(id as string);
        return etagged(ok(200, presentAction(view.action, view.deployed)), view.action.draftRevision);
      }),
      PATCH: handle(async (request, { id }, actions) => {
        const input = parseUpdateAction(readBody(request), actions.limits);
        const view = await actions.updateAction(id as string, input, request.headers['if-match']);
        return etagged(ok(200, presentAction(view.action, view.deployed)), view.action.draftRevision);
      }),
      DELETE: handle(async (request, { id }, actions) => {
        await actions.deleteAction(id as string, request.query.force === 'true');
        return { response: { statusCode: 204, headers: {}, body: '' } };
      }),
    },
  },
  {
    name: 'action-deploy',
    pattern: new RegExp(`^${ACTIONS_PREFIX}/${ID}/deploy$`),
    methods: {
      POST: handle(async (request, { id }, actions) => {
        noBody(request);
        const { version, action } = await actions.deploy(id as string, request.headers['if-match']);
        return ok(200, presentVersion(version, action));
      }),
    },
  },
  {
    name: 'action-versions',
    pattern: new RegExp(`^${ACTIONS_PREFIX}/${ID}/versions$`),
    methods: {
      GET: handle(async (request, { id }, actions) => {
        const listed = await actions.listVersions(id as string, parsePaging(request.query, 20));
        const { action } = await actions.getAction(id as string);
        return ok(200, {
          versions: listed.items.map((version) => presentVersion(version, action)),
          total: listed.total,
          page: listed.paging.page,
          per_page: listed.paging.perPage,
        });
      }),
    },
  },
  {
    name: 'action-version',
    pattern: new RegExp(`^${ACTIONS_PREFIX}/${ID}/versions/${ID}$`),
    methods: {
      GET: handle(async (_request, { id, versionId }, actions) => {
        const { version, action } = await actions.getVersion(id as string, versionId as string);
        return ok(200, presentVersion(version, action));
      }),
    },
  },
  {
    name: 'action-version-deploy',
    pattern: new RegExp(`^${ACTIONS_PREFIX}/${ID}/versions/${ID}/deploy$`),
    methods: {
      POST: handle(async (request, { id, versionId }, actions) => {
        noBody(request);
        const { version, action } = await actions.deployVersion(id as string, versionId as string);
        return ok(200, presentVersion(version, action));
      }),
    },
  },
  {
    name: 'action-executions',
    pattern: new RegExp(`^${ACTIONS_PREFIX}/${ID}/executions$`),
    methods: {
      GET: handle(async (request, { id }, actions) => {
        const listed = await actions.listExecutions(id as string, parsePaging(request.query, 20));
        return ok(200, {
          executions: listed.items.map(presentExecution),
          total: listed.total,
          page: listed.paging.page,
          per_page: listed.paging.perPage,
        });
      }),
    },
  },
  {
    name: 'execution',
    pattern: /^\/api\/v2\/actions\/executions\/([^/]+)$/,
    methods: {
      GET: handle(async (_request, { id }, actions) =>
        ok(200, presentExecution(await actions.getExecution(id as string))),
      ),
    },
  },
  {
    name: 'triggers',
    pattern: /^\/api\/v2\/actions\/triggers$/,
    methods: {
      GET: handle(async () =>
        ok(200, {
          triggers: TRIGGERS.map((trigger) => ({
            id: trigger.id,
            version: trigger.version,
            status: 'CURRENT',
            runtimes: ['node22'],
            default_runtime: 'node22',
            compatible_triggers: [],
            binding_policy: 'trigger-bound',
            handler: trigger.handler,
          })),
        }),
      ),
    },
  },
  {
    name: 'bindings',
    pattern: /^\/api\/v2\/actions\/triggers\/([^/]+)\/bindings$/,
    methods: {
      GET: handle(async (_request, { id }, actions) => {
        const bindings = await actions.getBindings(id as string);
        return ok(200, {
          bindings: bindings.map((binding) => presentBinding(binding)),
          total: bindings.length,
          page: 0,
          per_page: bindings.length,
        });
      }, 404),
      PATCH: handle(async (request, { id }, actions) => {
        const trigger = getTrigger(id as string);
        const inputs = parseBindings(readBody(request), trigger.id, actions.limits);
        const bindings = await actions.updateBindings(trigger.id, inputs);
        return ok(200, { bindings: bindings.map((binding) => presentBinding(binding)) });
      }, 404),
    },
  },
];
