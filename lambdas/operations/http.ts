/**
 * The operator's paths of the management API, beside Auth0's (`/api/v2/actions/…`): the same Function URL
 * with AWS_IAM auth on AWS, the same local server with the management token under `npm start`, so that
 * `a0bridge quarantine|replay|status` work alike on both.
 *
 * | Path                                    | Method | What                                              |
 * | --------------------------------------- | ------ | ------------------------------------------------- |
 * | `/api/v2/bridge/quarantine`             | GET    | the quarantine's messages (`?limit=&reason=`)     |
 * | `/api/v2/bridge/quarantine/redrive`     | POST   | `{reason?, limit?, dry_run?}`                     |
 * | `/api/v2/bridge/replays`                | POST   | `{from, to, codes?, categories?, routes?}`        |
 * | `/api/v2/bridge/replays/<name>`         | GET    | a replay's state and progress                     |
 * | `/api/v2/bridge/status`                 | GET    | the one-screen status (`?window_hours=`)          |
 */
import { InvalidRequestError, RegistryError } from '../lifecycle/errors';
import type { ManagementContext } from '../management/context';
import { ID, type ManagementRequest, ok, type Route, readBody } from '../management/http';
import type { BridgeOperations } from './operations';
import { DEFAULT_LIMIT, MAX_LIST_LIMIT, MAX_REDRIVE_LIMIT } from './quarantine';
import { DEFAULT_WINDOW_HOURS } from './status';

export const BRIDGE_PREFIX = '/api/v2/bridge';
const MAX_WINDOW_HOURS = 14 * 24;
/** With a time zone: a time without one would be read in the server's zone, which is not the caller's. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function operationsOf(context: ManagementContext): BridgeOperations {
  if (!context.operations) {
    throw new RegistryError(
      404,
      'inexistent_route',
      'The quarantine, replay and status routes are not served here: deploy the stack again to add them.',
    );
  }
  return context.operations;
}

export const OPERATIONS_ROUTES: readonly Route<ManagementContext>[] = [
  {
    name: 'bridge-quarantine',
    pattern: new RegExp(`^${BRIDGE_PREFIX}/quarantine$`),
    methods: {
      GET: async (request, _params, context) => {
        const listing = await operationsOf(context).listQuarantine({
          limit: integerParam(request.query.limit, 'limit', DEFAULT_LIMIT, 1, MAX_LIST_LIMIT),
          ...reasonParam(request.query.reason),
        });
        return ok(200, listing);
      },
    },
  },
  {
    name: 'bridge-quarantine-redrive',
    pattern: new RegExp(`^${BRIDGE_PREFIX}/quarantine/redrive$`),
    methods: {
      POST: async (request, _params, context) => {
        const body = objectBody(request, ['reason', 'limit', 'dry_run']);
        if (body.dry_run !== undefined && typeof body.dry_run !== 'boolean') {
          throw new InvalidRequestError(
            `dry_run must be true or false, got ${JSON.stringify(body.dry_run)}.`,
          );
        }
        const report = await operationsOf(context).redrive({
          limit: integerParam(body.limit, 'limit', DEFAULT_LIMIT, 1, MAX_REDRIVE_LIMIT),
          dryRun: body.dry_run === true,
          ...reasonParam(body.reason),
        });
        return ok(200, report);
      },
    },
  },
  {
    name: 'bridge-replays',
    pattern: new RegExp(`^${BRIDGE_PREFIX}/replays$`),
    methods: {
      POST: async (request, _params, context) => {
        const body = objectBody(request, ['from', 'to', 'codes', 'categories', 'routes']);
        const started = await operationsOf(context).startReplay({
          from: timeParam(body.from, 'from'),
          to: timeParam(body.to, 'to'),
          selection: {
            ...listParam(body.codes, 'codes'),
            ...listParam(body.categories, 'categories'),
            ...listParam(body.routes, 'routes'),
          },
        });
        return ok(201, started);
      },
    },
  },
  {
    name: 'bridge-replay',
    pattern: new RegExp(`^${BRIDGE_PREFIX}/replays/${ID}$`),
    methods: {
      GET: async (_request, params, context) =>
        ok(200, await operationsOf(context).describeReplay(params.id as string)),
    },
  },
  {
    name: 'bridge-status',
    pattern: new RegExp(`^${BRIDGE_PREFIX}/status$`),
    methods: {
      GET: async (request, _params, context) =>
        ok(
          200,
          await operationsOf(context).status(
            integerParam(
              request.query.window_hours,
              'window_hours',
              DEFAULT_WINDOW_HOURS,
              1,
              MAX_WINDOW_HOURS,
            ),
          ),
        ),
    },
  },
];

function objectBody(request: ManagementRequest, fields: readonly string[]): Record<string, unknown> {
  if (!request.body?.trim()) return {};
  const body = readBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  const unknown = Object.keys(body).filter((key) => !fields.includes(key));
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      `Unknown field ${unknown.map((key) => JSON.stringify(key.slice(0, 40))).join(', ')}; this request takes ${fields.join(', ')}.`,
    );
  }
  return body as Record<string, unknown>;
}

function integerParam(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new InvalidRequestError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}.`,
    );
  }
  return number;
}

function reasonParam(value: unknown): { reason?: string } {
  if (value === undefined || value === '') return {};
  if (typeof value !== 'string' || !/^[a-z_]{1,40}$/.test(value)) {
    throw new InvalidRequestError(
      `reason must be a quarantine reason such as missing_type or publish_rejected, got ${JSON.stringify(value).slice(0, 60)}.`,
    );
  }
  return { reason: value };
}

function timeParam(value: unknown, name: string): Date {
  if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidRequestError(
      `${name} must be an ISO 8601 time with a zone, such as 2026-03-01T08:00:00Z, got ${JSON.stringify(value)?.slice(0, 60)}.`,
      'invalid_window',
    );
  }
  return new Date(value);
}

function listParam<K extends string>(value: unknown, name: K): { [P in K]?: string[] } {
  if (value === undefined) return {};
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string') || value.length > 200) {
    throw new InvalidRequestError(`${name} must be a list of at most 200 strings.`);
  }
  return { [name]: value } as { [P in K]?: string[] };
}
