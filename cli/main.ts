/** `a0bridge`: the command line of Auth0 Event Bridge. */
import { ApiError, ManagementClient, UsageError } from './client';
import type { CliIo } from './io';
import { MODULES_USAGE, parseModulesArgs, runModules } from './modules';

export const USAGE = `Usage: a0bridge <area> <command> [options]

Areas:
  modules   Action Modules: shared code with write-only secrets and pinned npm dependencies

Run a0bridge modules --help for the commands.`;

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

/** Runs one command line; returns the exit code. Errors are printed, never thrown. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [area, ...rest] = argv;
  try {
    if (!area || area === '--help' || area === '-h' || area === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return area ? 0 : 2;
    }
    if (area !== 'modules') throw new UsageError(`Unknown area "${area}".\n\n${USAGE}`);
    const { values, positionals } = parseModulesArgs(rest);
    if (values.help || positionals.length === 0) {
      io.stdout.write(`${MODULES_USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const endpoint = (values.endpoint as string | undefined) ?? io.env.A0BRIDGE_ENDPOINT ?? DEFAULT_ENDPOINT;
    const region = (values.region as string | undefined) ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    const profile = (values.profile as string | undefined) ?? io.env.AWS_PROFILE;
    const sign = values['no-sign'] ? false : values.sign ? true : undefined;
    const client = new ManagementClient({
      endpoint,
      ...(sign === undefined ? {} : { sign }),
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
    });
    return await runModules(client, io, values, positionals);
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof ApiError) {
    const code = error.errorCode ? ` (${error.errorCode})` : '';
    io.stderr.write(`Error ${error.status}${code}: ${error.message}\n`);
    if (error.status === 403) {
      io.stderr.write(
        'The request was signed but refused: check the credentials, region and lambda:InvokeFunctionUrl.\n',
      );
    }
    return 1;
  }
  if (error instanceof UsageError) {
    io.stderr.write(`${error.message}\n`);
    return 2;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code?.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(
      `${(error as Error).message}\nRun a0bridge modules --help for the commands and options.\n`,
    );
    return 2;
  }
  io.stderr.write(`a0bridge failed: ${(error as Error)?.message ?? String(error)}\n`);
  return 1;
}
