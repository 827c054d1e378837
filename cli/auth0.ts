/**
 * `a0bridge auth0 …`: the Auth0 side in one command. `connect` creates or updates the tenant's Custom Webhook
 * log stream so that it posts to the ingest URL with the ingest token; `status` shows how that stream is doing.
 * Secrets (the Management API token or client secret, the ingest token) come from the environment, a hidden
 * prompt, or the local stack's file, never from the command line, and are never printed.
 */
import {
  Auth0ApiError,
  Auth0Client,
  type Auth0Domain,
  domainArgument,
  type ManagementCredentials,
  parseDomain,
} from './auth0-api';
import {
  type Change,
  CONTENT_TYPE,
  DEFAULT_STREAM_NAME,
  describeChange,
  describeSink,
  findStream,
  ingestUrlWarnings,
  type LogStream,
  type Plan,
  parseContentFormat,
  parseIngestUrl,
  planConnect,
  redactStream,
  statusAdvice,
} from './auth0-stream';
import { isLoopback, UsageError } from './client';
import { type Area, type Context, printJson, shellWord, type Values } from './common';
import { keyValues } from './format';
import type { CliIo } from './io';
import { localAccessFile, readLocalAccess } from './local-access';

export const AUTH0_USAGE = `Usage: a0bridge auth0 <command> --domain <tenant> [options]

Commands:
  connect   create or update the Custom Webhook log stream that sends the tenant's logs to the ingest URL
            (found by name; created only when there is none)
  status    show the log stream's status (active, paused, suspended), endpoint and format, never its token;
            exits 1 when the stream is missing, paused or suspended

Options of a0bridge auth0:
  --domain <domain>  the tenant: tenant.eu.auth0.com or a custom domain, https only (env AUTH0_DOMAIN)
  --name <name>      the log stream's name (default ${DEFAULT_STREAM_NAME})
  --url <url>        connect: the URL Auth0 posts to: the stack's IngestUrl output, or an https tunnel to
                     the local stack (default: the local stack's, from .a0bridge/local-<port>.json)
  --local            connect: take the ingest token from the local stack (npm start on the --endpoint port),
                     also with --url (a tunnel); implied without --url
  --format <format>  connect: JSONARRAY (default, recommended), JSONLINES or JSONOBJECT
  --resume           connect: re-activate a stream Auth0 suspended (or one paused by hand)
  --dry-run          connect: print what would change, and change nothing
  --audience <url>   the Management API audience for the client credentials grant (env AUTH0_AUDIENCE;
                     default https://<domain>/api/v2/; with a custom domain, the tenant's own
                     https://<tenant>.<region>.auth0.com/api/v2/)

Secrets come from the environment or a prompt that does not echo, never from the command line:
  AUTH0_MANAGEMENT_TOKEN                 a Management API token with read:log_streams, create:log_streams
                                         and update:log_streams,
  AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET   or a machine-to-machine application granted those scopes (client
                                         credentials grant; the secret is prompted for when missing)
  A0BRIDGE_INGEST_TOKEN                  the ingest token (the ReadTokenCommand output prints it), prompted
                                         for when missing; a local stack's comes from its file`;

const OPTIONS = {
  domain: { type: 'string' },
  name: { type: 'string' },
  url: { type: 'string' },
  local: { type: 'boolean' },
  format: { type: 'string' },
  resume: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  audience: { type: 'string' },
} as const;

export const AUTH0_AREA: Area = {
  name: 'auth0',
  usage: AUTH0_USAGE,
  options: OPTIONS,
  commands: { connect: reportingAuth0Errors(connect), status: reportingAuth0Errors(status) },
};

const SCOPES = 'read:log_streams, create:log_streams and update:log_streams';

async function connect(context: Context): Promise<number> {
  const { io, values } = context;
  refuseSecretsOnCommandLine(context, 'connect');
  const domain = domainOf(values, io);
  const name = nameOf(values);
  const format = parseContentFormat(values.format as string | undefined);
  const ingest = await ingestTarget(context);
  const warnings = ingestUrlWarnings(ingest.url, domain);
  for (const warning of warnings) io.stderr.write(`Warning: ${warning}\n`);

  const client = new Auth0Client({
    domain,
    credentials: await managementCredentials(io, values),
    secrets: [ingest.token],
  });
  const streams = await client.request<LogStream[]>('GET', '/log-streams');
  if (!Array.isArray(streams))
    throw new UsageError(`${domain.origin}/api/v2/log-streams did not answer a list.`);
  const wanted = {
    name,
    sink: {
      httpEndpoint: ingest.url.href,
      httpAuthorization: `Bearer ${ingest.token}`,
      httpContentFormat: format,
      httpContentType: CONTENT_TYPE,
    },
  };
  const plan = planConnect(findStream(streams, name), wanted, values.resume === true);

  if (values['dry-run']) {
    if (context.json) return printJson(io, { dryRun: true, ...planJson(plan), warnings });
    io.stdout.write(`${planText(plan, domain, 'Would')}(Dry run: nothing was changed on ${domain.host}.)\n`);
    return 0;
  }
  const stream = await apply(client, plan);
  if (context.json) return printJson(io, { dryRun: false, ...planJson(plan), stream: redactStream(stream) });
  io.stdout.write(planText(plan, domain, 'Did'));
  if (plan.action === 'create') {
    io.stdout.write(
      `Check on it with: a0bridge auth0 status --domain ${shellWord(domainArgument(domain))}${nameFlag(name)}\n`,
    );
  }
  const advice = statusAdvice(stream, domain);
  if (advice) io.stderr.write(`${advice}\n`);
  return 0;
}

async function status(context: Context): Promise<number> {
  const { io, values } = context;
  refuseSecretsOnCommandLine(context, 'status');
  const domain = domainOf(values, io);
  const name = nameOf(values);
  const client = new Auth0Client({ domain, credentials: await managementCredentials(io, values) });
  const streams = await client.request<LogStream[]>('GET', '/log-streams');
  if (!Array.isArray(streams))
    throw new UsageError(`${domain.origin}/api/v2/log-streams did not answer a list.`);
  const found = findStream(streams, name);
  if (!found) {
    if (context.json) printJson(io, { stream: null });
    const others = streams.map((stream) => `${stream.name} (${stream.type}, ${stream.status})`).join(', ');
    io.stderr.write(
      `No log stream is named ${JSON.stringify(name)} on ${domain.host}${others ? `; it has: ${others}` : ''}.\n` +
        `Create it with: a0bridge auth0 connect --domain ${shellWord(domainArgument(domain))}${nameFlag(name)} --url <the IngestUrl output>\n`,
    );
    return 1;
  }
  const stream = await client.request<LogStream>('GET', `/log-streams/${encodeURIComponent(found.id)}`);
  const advice = statusAdvice(stream, domain);
  if (context.json) {
    printJson(io, { stream: redactStream(stream) });
  } else {
    const filters = (stream.filters ?? []).map((filter) => filter.name ?? '?').join(', ');
    io.stdout.write(
      `Log stream ${stream.name} (${stream.id}) on ${domain.host}\n${rows([
        ['status', stream.status],
        ['type', stream.type],
        ...describeSink(stream.sink),
        ['filters', filters || 'none: every category is sent'],
      ])}`,
    );
  }
  if (advice) io.stderr.write(`${advice}\n`);
  return stream.status === 'active' ? 0 : 1;
}

/** The ingest URL and token to point the stream at. */
interface IngestTarget {
  readonly url: URL;
  readonly token: string;
}

/**
 * Without `--url`, or with `--local`: the local stack on the `--endpoint` port (npm start's file holds its
 * ingest URL and token). Otherwise `--url`, with the token from A0BRIDGE_INGEST_TOKEN or a hidden prompt.
 */
async function ingestTarget({ client, io, values }: Context): Promise<IngestTarget> {
  const given = values.url as string | undefined;
  if (given === undefined || values.local) {
    const base = client.base;
    const port = base.port || (base.protocol === 'https:' ? '443' : '80');
    if (!isLoopback(base.hostname)) {
      throw new UsageError(
        `${given === undefined ? 'Without --url' : 'With --local'}, a0bridge takes the ingest URL and token from the local stack, but --endpoint (${base.origin}) is not one. Pass --url <the IngestUrl output> for a deployed stack.`,
      );
    }
    const access = await readLocalAccess(port);
    if (!access) {
      throw new UsageError(
        `${given === undefined ? 'No --url, and no' : 'No'} local stack on port ${port}: ${localAccessFile(port)} does not exist (npm start writes it while it runs). ` +
          'For a deployed stack pass --url <the IngestUrl output>; for npm start on another port, --endpoint http://127.0.0.1:<port>.',
      );
    }
    if (access.ingestToken === undefined || access.ingestUrl === undefined) {
      throw new UsageError(
        `${access.file} holds no ingest URL and token: an older npm start wrote it. Restart npm start.`,
      );
    }
    return {
      url: parseIngestUrl(given ?? access.ingestUrl, given === undefined ? access.file : '--url'),
      token: checkedIngestToken(access.ingestToken, access.file),
    };
  }
  const url = parseIngestUrl(given, '--url');
  const fromEnv = io.env.A0BRIDGE_INGEST_TOKEN;
  if (fromEnv) return { url, token: checkedIngestToken(fromEnv, 'A0BRIDGE_INGEST_TOKEN') };
  if (!io.stdinIsTty) {
    throw new UsageError(
      "The ingest token is needed: set A0BRIDGE_INGEST_TOKEN (the stack's ReadTokenCommand output prints it), or run from a terminal to be asked for it. It is never taken from the command line.",
    );
  }
  const prompted = await io.promptHidden('Ingest token (the ReadTokenCommand output prints it; not shown): ');
  return { url, token: checkedIngestToken(prompted, 'The ingest token') };
}

/** What an Authorization header can carry: printable ASCII, no spaces. Never echoed. */
function checkedIngestToken(token: string, from: string): string {
  return headerSafe(token, from, 'the ingest token');
}

/** A token as a header carries it: printable ASCII, no spaces. Checked first, since fetch echoes a bad one. */
function headerSafe(token: string, from: string, what: string): string {
  if (token.length === 0) throw new UsageError(`${from}: ${what} is empty.`);
  if (/^bearer\s/i.test(token)) {
    throw new UsageError(`${from}: give ${what} alone, without "Bearer " (a0bridge adds it).`);
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new UsageError(`${from}: ${what} must be printable ASCII without spaces (it is not shown).`);
  }
  return token;
}

/**
 * AUTH0_MANAGEMENT_TOKEN; else AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET (asked for on a terminal when
 * missing); else, on a terminal, a Management API token asked for. Off a terminal, a missing secret is an error.
 */
async function managementCredentials(io: CliIo, values: Values): Promise<ManagementCredentials> {
  const { env } = io;
  if (env.AUTH0_MANAGEMENT_TOKEN) {
    return {
      kind: 'token',
      token: headerSafe(env.AUTH0_MANAGEMENT_TOKEN, 'AUTH0_MANAGEMENT_TOKEN', 'the Management API token'),
    };
  }
  const audience = (values.audience as string | undefined) ?? env.AUTH0_AUDIENCE;
  const clientId = env.AUTH0_CLIENT_ID;
  if (clientId) {
    let clientSecret = env.AUTH0_CLIENT_SECRET;
    if (!clientSecret && io.stdinIsTty) {
      clientSecret = await io.promptHidden(`Client secret of the application ${clientId} (not shown): `);
    }
    if (!clientSecret) {
      throw new UsageError(
        io.stdinIsTty
          ? 'No client secret was given.'
          : 'AUTH0_CLIENT_ID is set but AUTH0_CLIENT_SECRET is not, and there is no terminal to ask for it: set AUTH0_CLIENT_SECRET.',
      );
    }
    return { kind: 'client', clientId, clientSecret, ...(audience ? { audience } : {}) };
  }
  if (env.AUTH0_CLIENT_SECRET) {
    throw new UsageError(
      'AUTH0_CLIENT_SECRET is set but AUTH0_CLIENT_ID is not: set both, or AUTH0_MANAGEMENT_TOKEN.',
    );
  }
  const missing =
    `a0bridge auth0 needs Auth0 Management API access with ${SCOPES}: set AUTH0_MANAGEMENT_TOKEN (a token from ` +
    'the Dashboard: Applications > APIs > Auth0 Management API > API Explorer), or AUTH0_CLIENT_ID and ' +
    'AUTH0_CLIENT_SECRET (a machine-to-machine application granted those scopes).';
  if (!io.stdinIsTty) throw new UsageError(`${missing} Credentials are never taken from the command line.`);
  const token = await io.promptHidden(
    'Auth0 Management API token (not shown; or set AUTH0_MANAGEMENT_TOKEN, or AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET): ',
  );
  if (!token) throw new UsageError(missing);
  return { kind: 'token', token: headerSafe(token, 'The Management API token', 'the token') };
}

function domainOf(values: Values, io: CliIo): Auth0Domain {
  const domain = (values.domain as string | undefined) ?? io.env.AUTH0_DOMAIN;
  if (!domain) {
    throw new UsageError(
      'Which tenant? Pass --domain <tenant.eu.auth0.com> (or set AUTH0_DOMAIN). Run a0bridge auth0 --help for the options.',
    );
  }
  return parseDomain(domain);
}

function nameOf(values: Values): string {
  const name = (values.name as string | undefined) ?? DEFAULT_STREAM_NAME;
  if (name.trim().length === 0) throw new UsageError('--name must not be empty.');
  return name;
}

function nameFlag(name: string): string {
  return name === DEFAULT_STREAM_NAME ? '' : ` --name ${shellWord(name)}`;
}

/**
 * Nothing secret travels on the command line, where shell history and `ps` keep it: `--token` (the global
 * option for the local management API) is refused here, and so is any word after the command.
 */
function refuseSecretsOnCommandLine({ values, positionals }: Context, command: string): void {
  if (values.token !== undefined) {
    throw new UsageError(
      `a0bridge auth0 takes no token on the command line (it would stay in your shell history). The ingest token comes from A0BRIDGE_INGEST_TOKEN, a prompt or the local stack's file; Auth0 credentials from AUTH0_MANAGEMENT_TOKEN, or AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET.`,
    );
  }
  if (positionals.length > 0) {
    // Not echoed: it may be a secret typed in the wrong place.
    throw new UsageError(
      `a0bridge auth0 ${command} takes options only, and ${positionals.length === 1 ? 'a word was' : `${positionals.length} words were`} given after it. Run a0bridge auth0 --help.`,
    );
  }
}

async function apply(client: Auth0Client, plan: Plan): Promise<LogStream> {
  const stream = await send(client, plan);
  if (typeof stream !== 'object' || stream === null) {
    throw new UsageError(`${client.domain.origin} answered the ${plan.action} without the log stream.`);
  }
  return stream;
}

function send(client: Auth0Client, plan: Plan): Promise<LogStream> {
  switch (plan.action) {
    case 'create':
      return client.request<LogStream>('POST', '/log-streams', plan.body);
    case 'update':
      return client.request<LogStream>(
        'PATCH',
        `/log-streams/${encodeURIComponent(plan.stream.id)}`,
        plan.body,
      );
    case 'none':
      return Promise.resolve(plan.stream);
  }
}

/** Indented `key: value` rows. */
function rows(pairs: readonly (readonly [string, string])[]): string {
  return keyValues(pairs).replace(/^/gm, '  ').replace(/ +$/, '');
}

/** The plan in words: `Would …` for a dry run, the past tense once done. */
function planText(plan: Plan, domain: Auth0Domain, mood: 'Would' | 'Did'): string {
  switch (plan.action) {
    case 'create':
      return (
        `${mood === 'Would' ? 'Would create' : 'Created'} the log stream ${plan.body.name} (Custom Webhook) on ${domain.host}:\n` +
        rows(describeSink({ ...plan.body.sink }))
      );
    case 'update':
      return (
        `${mood === 'Would' ? 'Would update' : 'Updated'} the log stream ${plan.stream.name} (${plan.stream.id}) on ${domain.host}:\n` +
        rows(plan.changes.map(describeChange))
      );
    case 'none':
      return `The log stream ${plan.stream.name} (${plan.stream.id}) on ${domain.host} is up to date: nothing to change.\n`;
  }
}

/** The plan for `--json`, with the authorization values replaced. */
function planJson(plan: Plan) {
  const hidden = (change: Change) =>
    change.field === 'authorization'
      ? { ...change, from: change.from === undefined ? null : '(not shown)', to: '(not shown)' }
      : { ...change, from: change.from ?? null };
  switch (plan.action) {
    case 'create':
      return { action: plan.action, id: null, changes: [] };
    case 'update':
      return { action: plan.action, id: plan.stream.id, changes: plan.changes.map(hidden) };
    case 'none':
      return { action: plan.action, id: plan.stream.id, changes: [] };
  }
}

/** Auth0's refusals as one line each (status, errorCode, message) and what to do about them; exit code 1. */
function reportingAuth0Errors(run: (context: Context) => Promise<number>) {
  return async (context: Context): Promise<number> => {
    try {
      return await run(context);
    } catch (error) {
      if (!(error instanceof Auth0ApiError)) throw error;
      context.io.stderr.write(`${error.message}\n`);
      const hint = hintFor(error);
      if (hint) context.io.stderr.write(`${hint}\n`);
      return 1;
    }
  };
}

function hintFor(error: Auth0ApiError): string | undefined {
  if (error.during === 'token') {
    if (error.status === 401) {
      return "Check AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET: the application's Settings tab in the Auth0 Dashboard shows both.";
    }
    return `The application must be authorized for the Auth0 Management API with ${SCOPES} (Dashboard: Applications > APIs > Auth0 Management API > Machine To Machine Applications). With a custom domain, pass --audience https://<tenant>.<region>.auth0.com/api/v2/.`;
  }
  if (error.status === 401) {
    return 'The Management API token was refused: it may have expired (API Explorer tokens last 24 hours by default), or belong to another tenant.';
  }
  if (error.status === 403) return `The token needs the scopes ${SCOPES}.`;
  if (error.status === 409) {
    return 'The tenant has as many log streams as its plan allows: delete one (Monitoring > Streams), or reuse one with --name.';
  }
  if (error.status === 429) return "That is Auth0's rate limit: try again in a minute.";
  return undefined;
}
