import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { appliesDynamoDbAtomically } from './moto';
import { listen } from './server';

/**
 * A loopback HTTP proxy in front of an emulator's DynamoDB that never lets two requests touching the same
 * item run at once.
 *
 * Why: moto_server runs each request on its own thread without locking, so two conditional writes (or
 * transactions) on one item can both pass their condition, and a cancelled transaction restores a snapshot
 * of the whole table over writes that finished meanwhile (measured with moto 5.2.1: 20 racing conditional
 * updates of one counter produced a duplicate in 2 of 15 rounds). DynamoDB itself applies each write and
 * transaction atomically. Point only DynamoDB at this proxy (`AWS_ENDPOINT_URL_DYNAMODB`) so that conditional
 * writes behave locally as they do in AWS.
 *
 * What waits for what: requests on single items, or on lists of items (GetItem, PutItem, UpdateItem,
 * DeleteItem, BatchGetItem, BatchWriteItem, PartiQL INSERT batches), run together when their items differ;
 * every other request (transactions, queries, scans, table operations) runs alone. Requests start in arrival
 * order among those they share an item with, so none waits forever.
 *
 * A moto that this process started through `local/moto-launcher.py` applies each DynamoDB request atomically
 * itself: for it no proxy is started, and `endpoint` is the emulator's own (one hop less on every DynamoDB call).
 */
export async function startSerializingProxy(
  target: string,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  if (appliesDynamoDbAtomically(target)) return { endpoint: target, close: async () => undefined };
  const scheduler = new Scheduler();
  const schemas = new Map<string, readonly string[]>();
  const upstream = new URL(target);
  const send = (method: string, path: string, headers: Record<string, string>, body: Buffer) =>
    relay(upstream, method, path, headers, body);

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name))
          headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      const region = regionOf(request.headers);
      const items = itemsOf(request.headers, body, (table) => schemas.get(`${region}/${table}`));
      const forward = async () => {
        try {
          // Alone, with a table whose key is not known yet: learn it, so that later requests on it can
          // run side by side.
          if (items === ALONE) await learnSchemas(request.headers, body, region, headers, send, schemas);
          const answer = await send(request.method ?? 'POST', request.url ?? '/', headers, body);
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-encoding')
              out[name] = Array.isArray(value) ? value.join(',') : value;
          }
          out['content-length'] = String(answer.body.length);
          response.writeHead(answer.status, out);
          response.end(answer.body);
        } catch (error) {
          response.writeHead(502, { 'content-type': 'text/plain' });
          response.end(`emulator proxy: ${(error as Error).message}`);
        }
      };
      scheduler.run(items, forward);
    });
  });
  const port = await listen(server, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request to the emulator, with node:http (lighter than fetch for a relay that runs this often). */
function relay(
  upstream: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path,
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 502,
            headers: incoming.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A request that must run alone. */
const ALONE = null;
/** The items a request touches (`region/table/key`), or ALONE. */
type Items = ReadonlySet<string> | typeof ALONE;

interface Job {
  readonly items: Items;
  readonly start: () => Promise<void>;
}

/** Starts jobs in arrival order, except that a job may pass earlier ones it shares no item with. */
export class Scheduler {
  private readonly running = new Set<Job>();
  private readonly waiting: Job[] = [];

  public run(items: Items, start: () => Promise<void>): void {
    this.waiting.push({ items, start });
    this.startWhatCan();
  }

  private startWhatCan(): void {
    const passed: Job[] = [];
    for (const job of [...this.waiting]) {
      const blocked =
        [...this.running].some((other) => overlap(job.items, other.items)) ||
        passed.some((other) => overlap(job.items, other.items));
      if (blocked) {
        passed.push(job);
        continue;
      }
      this.waiting.splice(this.waiting.indexOf(job), 1);
      this.running.add(job);
      void job.start().finally(() => {
        this.running.delete(job);
        this.startWhatCan();
      });
    }
  }
}

function overlap(a: Items, b: Items): boolean {
  if (a === ALONE || b === ALONE) return true;
  for (const item of a) if (b.has(item)) return true;
  return false;
}

type AttributeMap = Record<string, unknown>;
type KeyNames = (table: string) => readonly string[] | undefined;

/** The items a DynamoDB request touches, from its target and body, or ALONE when that cannot be told. */
export function itemsOf(headers: IncomingHttpHeaders, body: Buffer, keyNames: KeyNames): Items {
  const operation = String(headers['x-amz-target'] ?? '').split('.')[1] ?? '';
  const region = regionOf(headers);
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return ALONE;
  }
  const items = new Set<string>();
  const add = (table: unknown, key: AttributeMap | undefined): boolean => {
    if (typeof table !== 'string' || !key || Object.keys(key).length === 0) return false;
    items.add(itemKey(region, table, key));
    return true;
  };
  const fromItem = (table: unknown, item: unknown): AttributeMap | undefined => {
    const names = typeof table === 'string' ? keyNames(table) : undefined;
    if (!names || !item || typeof item !== 'object') return undefined;
    const key = Object.fromEntries(names.map((name) => [name, (item as AttributeMap)[name]]));
    return names.every((name) => key[name] !== undefined) ? key : undefined;
  };
  switch (operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return add(input.TableName, input.Key as AttributeMap) ? items : ALONE;
    case 'PutItem':
      return add(input.TableName, fromItem(input.TableName, input.Item)) ? items : ALONE;
    case 'BatchGetItem': {
      for (const [table, request] of Object.entries((input.RequestItems ?? {}) as Record<string, unknown>)) {
        for (const key of ((request as { Keys?: AttributeMap[] }).Keys ?? []) as AttributeMap[]) {
          if (!add(table, key)) return ALONE;
        }
      }
      return items.size > 0 ? items : ALONE;
    }
    case 'BatchWriteItem': {
      for (const [table, requests] of Object.entries((input.RequestItems ?? {}) as Record<string, unknown>)) {
        for (const write of requests as Array<{
          PutRequest?: { Item?: unknown };
          DeleteRequest?: { Key?: AttributeMap };
        }>) {
          const key = write.DeleteRequest ? write.DeleteRequest.Key : fromItem(table, write.PutRequest?.Item);
          if (!add(table, key)) return ALONE;
        }
      }
      return items.size > 0 ? items : ALONE;
    }
    case 'BatchExecuteStatement': {
      for (const statement of (input.Statements ?? []) as Array<{
        Statement?: string;
        Parameters?: unknown[];
      }>) {
        const insert = INSERT.exec(statement.Statement ?? '');
        if (!insert) return ALONE;
        const names = [...(insert[2] ?? '').matchAll(FIELD)].map((field) => field[1] as string);
        const values = Object.fromEntries(names.map((name, i) => [name, statement.Parameters?.[i]]));
        if (!add(insert[1], fromItem(insert[1], values))) return ALONE;
      }
      return items.size > 0 ? items : ALONE;
    }
    default:
      return ALONE;
  }
}

/** Reads the key schema of the tables a request names, for the requests on them that follow. */
async function learnSchemas(
  requestHeaders: IncomingHttpHeaders,
  body: Buffer,
  region: string,
  headers: Record<string, string>,
  send: (method: string, path: string, headers: Record<string, string>, body: Buffer) => Promise<Answer>,
  schemas: Map<string, readonly string[]>,
): Promise<void> {
  let tables: string[] = [];
  try {
    const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const named = typeof input.TableName === 'string' ? [input.TableName] : [];
    tables = [...named, ...Object.keys((input.RequestItems ?? {}) as object)];
    for (const statement of (input.Statements ?? []) as Array<{ Statement?: string }>) {
      const insert = INSERT.exec(statement.Statement ?? '');
      if (insert?.[1]) tables.push(insert[1]);
    }
  } catch {
    return;
  }
  const operation = String(requestHeaders['x-amz-target'] ?? '').split('.')[1] ?? '';
  if (!ITEM_OPERATIONS.has(operation)) return;
  for (const table of new Set(tables)) {
    if (schemas.has(`${region}/${table}`)) continue;
    const described = await send(
      'POST',
      '/',
      { ...headers, 'x-amz-target': 'DynamoDB_20120810.DescribeTable' },
      Buffer.from(JSON.stringify({ TableName: table })),
    ).catch(() => undefined);
    if (described?.status !== 200) continue;
    const output = JSON.parse(described.body.toString('utf8')) as {
      Table?: { KeySchema?: Array<{ AttributeName: string }> };
    };
    const names = output.Table?.KeySchema?.map(({ AttributeName }) => AttributeName);
    if (names?.length) schemas.set(`${region}/${table}`, names);
  }
}

const ITEM_OPERATIONS = new Set(['PutItem', 'BatchWriteItem', 'BatchExecuteStatement']);
const INSERT = /^\s*INSERT\s+INTO\s+"([^"]+)"\s+VALUE\s+\{(.*)\}\s*$/is;
const FIELD = /'([^']+)'\s*:\s*\?/g;

function itemKey(region: string, table: string, key: AttributeMap): string {
  const names = Object.keys(key).sort();
  return `${region}/${table}/${JSON.stringify(names.map((name) => [name, key[name]]))}`;
}

/** The region of a SigV4-signed request (emulators keep one set of tables per region). */
function regionOf(headers: IncomingHttpHeaders): string {
  return /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1] ?? '';
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'host',
  'content-length',
]);
