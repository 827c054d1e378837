/** `a0bridge`: the command line of Auth0 Event Bridge. */
import { ACTIONS_AREA } from './actions';
import { AUTH0_AREA } from './auth0';
import { ApiError, isLoopback, ManagementClient, UsageError } from './client';
import { type Area, GLOBAL_OPTIONS_USAGE, parseCommandLine, runCommand } from './common';
import type { CliIo } from './io';
import { LocalAccessError, localAccessFile, readLocalAccess } from './local-access';
import { MODULES_AREA } from './modules';
import { QUARANTINE_AREA } from './quarantine';
import { REPLAY_AREA } from './replay';
import { STATUS_AREA } from './status';

export const USAGE = `Usage: a0bridge <area> <command> [options]

Areas:
  modules   Action Modules: shared code with write-only secrets and pinned npm dependencies
  actions   Actions: code run on Auth0 log events, with pinned modules, secrets, versions and bindings
  auth0     the tenant's side: create or update the Custom Webhook log stream, and show its health
  quarantine  the quarantined records: list them (never their contents), post them again (redrive)
  replay    deliver a window of the archive to the bus again (a0bridge replay --from … --to …)
  status    the stream's last delivery, record counts, queue depths and alarms, on one screen

Run a0bridge <area> --help for the commands (a0bridge modules --help, a0bridge actions --help).`;

const AREAS: Readonly<Record<string, Area>> = {
  modules: MODULES_AREA,
  actions: ACTIONS_AREA,
  auth0: AUTH0_AREA,
  quarantine: QUARANTINE_AREA,
  replay: REPLAY_AREA,
  status: STATUS_AREA,
};

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

/** Runs one command line; returns the exit code. Errors are printed, never thrown. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [area, ...rest] = argv;
  let client: ManagementClient | undefined;
  try {
    if (!area || area === '--help' || area === '-h' || area === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return area ? 0 : 2;
    }
    const commands = Object.hasOwn(AREAS, area) ? AREAS[area] : undefined;
    if (!commands) throw new UsageError(`Unknown area "${area}".\n\n${USAGE}`);
    const parsed = parseCommandLine(rest, commands.options);
    const { values } = parsed;
    // An area with a '' command runs it when none of its commands is named: `a0bridge status`.
    const named =
      parsed.positionals[0] !== undefined && Object.hasOwn(commands.commands, parsed.positionals[0]);
    const positionals =
      !named && Object.hasOwn(commands.commands, '') ? ['', ...parsed.positionals] : parsed.positionals;
    if (values.help || positionals.length === 0) {
      io.stdout.write(`${commands.usage}\n\n${GLOBAL_OPTIONS_USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const endpoint = (values.endpoint as string | undefined) ?? io.env.A0BRIDGE_ENDPOINT ?? DEFAULT_ENDPOINT;
    const region = (values.region as string | undefined) ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    const profile = (values.profile as string | undefined) ?? io.env.AWS_PROFILE;
    const sign = values['no-sign'] ? false : values.sign ? true : undefined;
    const token = await localToken(endpoint, sign, values.token as string | undefined, io.env);
    client = new ManagementClient({
      endpoint,
      ...(sign === undefined ? {} : { sign }),
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
      ...(token === undefined ? {} : { token }),
    });
    return await runCommand(commands, client, io, values, positionals);
  } catch (error) {
    return report(error, io, client, area && Object.hasOwn(AREAS, area) ? area : undefined);
  }
}

/**
 * The local stack's management token: `--token`, else `A0BRIDGE_TOKEN`, else the file npm start wrote for
 * the endpoint's port. None for a deployed stack; an explicit `--token` there is refused by the client.
 */
async function localToken(
  endpoint: string,
  sign: boolean | undefined,
  explicit: string | undefined,
  env: CliIo['env'],
): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return explicit;
  }
  if (sign === true || !isLoopback(url.hostname)) return explicit;
  if (explicit !== undefined) return explicit;
  if (env.A0BRIDGE_TOKEN) return env.A0BRIDGE_TOKEN;
  return (await readLocalAccess(portOf(url)))?.managementToken;
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function report(
  error: unknown,
  io: CliIo,
  client: ManagementClient | undefined,
  area: string | undefined,
): number {
  if (error instanceof ApiError) {
    const code = error.errorCode ? ` (${error.errorCode})` : '';
    io.stderr.write(`Error ${error.status}${code}: ${error.message}\n`);
    if (error.status === 401 && client && !client.signs) {
      io.stderr.write(
        `a0bridge takes the token from --token, else A0BRIDGE_TOKEN, else ${localAccessFile(portOf(client.base))}, ` +
          'which npm start writes while it runs on that port.\n',
      );
    }
    if (error.status === 403 && client?.signs) {
      io.stderr.write(
        'The request was signed but refused: check the credentials, region and lambda:InvokeFunctionUrl.\n',
      );
    }
    return 1;
  }
  if (error instanceof UsageError || error instanceof LocalAccessError) {
    io.stderr.write(`${error.message}\n`);
    return 2;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code?.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(
      `${(error as Error).message}\nRun a0bridge ${area ?? '<area>'} --help for the commands and options.\n`,
    );
    return 2;
  }
  io.stderr.write(`a0bridge failed: ${(error as Error)?.message ?? String(error)}\n`);
  return 1;
}
