/**
 * The command line of `npm start`: its options and environment variables, `-h`/`--help`, did-you-mean for a
 * misspelt option, and the options npm took for itself when they were given without `--` before them.
 * No I/O: the caller prints what comes back.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { closestMatches } from '../lambdas/shared/suggest';

export const USAGE = `Usage: npm start -- [options]

  --port <n>            HTTP port on 127.0.0.1 (env PORT, default 3000; 0 picks a free one)
  --token <t>           ingest token Auth0 must send (env INGEST_TOKEN, default: a new random one)
  --management-token <t>
                        token the Action Modules API requires (env A0BRIDGE_MANAGEMENT_TOKEN, default: a new
                        random one); saved in .a0bridge/local-<port>.json for a0bridge
  --aws-endpoint <url>  use this AWS emulator and start none (env AWS_ENDPOINT_URL)
  --bus-name <name>     event bus name (env BUS_NAME, default auth0-events)
  --region <r>          AWS region (env AWS_REGION, default us-east-1)
  --verbose             show the handlers' own JSON logs (info level)
  -h, --help            this text

The options go after \`--\`: npm keeps the ones before it for itself.
For example: npm start -- --port 8080 --token my-local-token`;

export interface StartOptions {
  readonly port: number;
  readonly token: string;
  readonly managementToken: string;
  readonly awsEndpoint?: string;
  readonly busName: string;
  readonly region: string;
  readonly verbose: boolean;
}

/** What the command line asks for: the usage text, or a start with these options. */
export type StartRequest = { readonly help: true } | { readonly help: false; readonly options: StartOptions };

/** The command line cannot be used as given; the message says what to type instead. */
export class StartOptionsError extends Error {
  public constructor(message: string) {
    super(`${message}\nRun npm start -- --help for the options.`);
    this.name = 'StartOptionsError';
  }
}

const OPTIONS = {
  port: { type: 'string' },
  token: { type: 'string' },
  'management-token': { type: 'string' },
  'aws-endpoint': { type: 'string' },
  'bus-name': { type: 'string' },
  region: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const NAMES = Object.keys(OPTIONS) as (keyof typeof OPTIONS)[];

/**
 * The `npm_config_*` variables npm sets for an option of ours it took as its own (`npm start --port 8080`).
 * npm shortens an option to the one config it abbreviates: `--token` becomes `--token-description`.
 * `--verbose` and `--help` are npm's own (log level, npm's help) and never reach us, so they are not listed.
 */
const NPM_CONFIG_NAMES: Readonly<Partial<Record<keyof typeof OPTIONS, readonly string[]>>> = {
  port: ['npm_config_port'],
  token: ['npm_config_token', 'npm_config_token_description'],
  'management-token': ['npm_config_management_token'],
  'aws-endpoint': ['npm_config_aws_endpoint'],
  'bus-name': ['npm_config_bus_name'],
  region: ['npm_config_region'],
};

/**
 * Reads `npm start`'s command line (`argv` without node and the script) and the environment (`env`, where npm
 * leaves the options it took for itself).
 */
export function parseStartOptions(argv: readonly string[], env: NodeJS.ProcessEnv): StartRequest {
  rejectUnknownOptions(argv);
  const { values, positionals } = parseStrictly(argv);
  if (values.help) return { help: true };
  const taken = optionsNpmTook(values, positionals, env);
  if (taken.length > 0) throw new StartOptionsError(npmTookMessage(taken, positionals));
  if (positionals.length > 0) {
    throw new StartOptionsError(
      `npm start takes options only, and got ${positionals.map(shellWord).join(' ')}.`,
    );
  }

  const port = Number(values.port ?? env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartOptionsError(
      `--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port ?? env.PORT)}.`,
    );
  }
  const managementToken =
    values['management-token'] ?? env.A0BRIDGE_MANAGEMENT_TOKEN ?? randomBytes(24).toString('base64url');
  if (!/^[\x21-\x7e]+$/.test(managementToken)) {
    // Not echoed: it is a token.
    throw new StartOptionsError(
      '--management-token (or A0BRIDGE_MANAGEMENT_TOKEN) must be printable ASCII without spaces, and not empty.',
    );
  }
  const awsEndpoint = values['aws-endpoint'] || env.AWS_ENDPOINT_URL || undefined;
  return {
    help: false,
    options: {
      port,
      token: values.token ?? env.INGEST_TOKEN ?? randomBytes(24).toString('base64url'),
      managementToken,
      ...(awsEndpoint ? { awsEndpoint } : {}),
      busName: values['bus-name'] ?? env.BUS_NAME ?? 'auth0-events',
      region: values.region ?? env.AWS_REGION ?? 'us-east-1',
      verbose: values.verbose,
    },
  };
}

/** `--prot`: names the option with the closest spelling, before parseArgs' own message, which names none. */
function rejectUnknownOptions(argv: readonly string[]): void {
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option' || Object.hasOwn(OPTIONS, token.name)) continue;
    const known = NAMES.map((name) => `--${name}`);
    const spelled = token.rawName.startsWith('--') ? token.rawName : `--${token.name}`;
    const [closest] = closestMatches(spelled, known, 1);
    throw new StartOptionsError(
      `Unknown option ${token.rawName}.${closest ? ` Did you mean ${closest}?` : ` The options are ${known.join(', ')}.`}`,
    );
  }
}

function parseStrictly(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    // A value missing: `--port` last, or followed by another option.
    throw new StartOptionsError((error as Error).message);
  }
}

interface TakenOption {
  readonly name: keyof typeof OPTIONS;
  /** What npm kept as the value: absent when npm took the option as a flag and passed its value on. */
  readonly value?: string;
}

/**
 * The options of ours that npm kept when `npm start` ran them without `--`: npm sets `npm_config_<name>` for
 * each (`true` when it took it as a flag, and then hands the value on to us as a word). Only under
 * `npm start`, and only for an option the command line does not give.
 */
function optionsNpmTook(
  values: Partial<Record<keyof typeof OPTIONS, unknown>>,
  positionals: readonly string[],
  env: NodeJS.ProcessEnv,
): TakenOption[] {
  if (env.npm_lifecycle_event !== 'start') return [];
  const taken: TakenOption[] = [];
  for (const name of NAMES) {
    if (values[name] !== undefined) continue;
    const variable = (NPM_CONFIG_NAMES[name] ?? []).find((candidate) => env[candidate] !== undefined);
    if (variable === undefined) continue;
    const kept = env[variable];
    taken.push(kept === 'true' || kept === '' ? { name } : { name, value: kept });
  }
  // One flag and one word: the word is its value (npm start --port 8080).
  const [only] = taken;
  if (taken.length === 1 && only && only.value === undefined && positionals.length === 1) {
    return [{ name: only.name, value: positionals[0] }];
  }
  return taken;
}

function npmTookMessage(taken: readonly TakenOption[], positionals: readonly string[]): string {
  const options = taken.map(({ name }) => `--${name}`).join(', ');
  const example = taken
    .map(({ name, value }) =>
      value === undefined || SECRET_OPTIONS.has(name) ? `--${name} <value>` : `--${name} ${shellWord(value)}`,
    )
    .join(' ');
  const secret = taken.some(({ name }) => SECRET_OPTIONS.has(name));
  const passedOn =
    positionals.length > 0 && !secret ? `, and passed on only ${positionals.map(shellWord).join(' ')}` : '';
  return `npm took ${options} for itself${passedOn}: npm keeps the options before \`--\`. Run: npm start -- ${example}`;
}

/** Options whose values are not echoed back. */
const SECRET_OPTIONS: ReadonlySet<string> = new Set(['token', 'management-token']);

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
