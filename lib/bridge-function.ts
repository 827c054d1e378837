import { join } from 'node:path';
import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  type ICommandHooks,
  NodejsFunction,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { projectPath } from './paths';

export interface BridgeFunctionProps {
  /** The handler file, relative to the project root, e.g. `lambdas/ingest/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly roleDescription: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** @default - not reserved */
  readonly reservedConcurrency?: number;
  /**
   * Commands run around bundling, e.g. to copy files a package loads by path next to the bundle. Nothing is
   * installed at synth time: every function bundles its dependencies from the project's node_modules.
   * @default - none
   */
  readonly commandHooks?: ICommandHooks;
  /**
   * Whether Node.js maps stack traces through the bundle's source map (`NODE_OPTIONS=--enable-source-maps`),
   * so that they name our files and lines. Reading the map costs every cold start; the map is in the asset
   * either way, to map a trace by hand.
   * @default true
   */
  readonly sourceMapStackTraces?: boolean;
  /**
   * Files built beside the handler with the same options, `<name>.mjs` from each entry: for code only rare
   * requests need, which the handler imports when it first needs it (`lazyModuleUrl`), so that a cold start
   * neither loads nor compiles it. A dynamic `import()` inside the one bundle would only put off running it.
   * @default - none
   */
  readonly lazyEntries?: Readonly<Record<string, string>>;
}

/**
 * How every handler of this project is built. lib/action-runner.ts builds the action host with the same
 * options, so that the host and the handlers are the same kind of file.
 */
export const BRIDGE_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  platform: 'node',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // The runtime ships an SDK, but bundling ours pins the version the tests ran against.
  bundleAwsSDK: true,
  externalModules: [],
  mainFields: ['module', 'main'],
  // CommonJS dependencies call require(); ESM output has none unless the bundle defines it.
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  // Nor __dirname and __filename, which some read as they load (@npmcli/run-script, under pacote). Replaced
  // only where a dependency uses them: a bundle that never does comes out byte for byte the same.
  define: { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' },
} as const satisfies BundlingOptions;

/**
 * The esbuild options `cdk synth` runs for a handler bundled with `bundling` (BRIDGE_BUNDLING by default), as
 * NodejsFunction turns its props into esbuild flags: for what else builds the same kind of file (the action
 * host, the bench's cold start), so that it is built exactly as the functions are. `entry` is relative to the
 * project root; the output is `index.mjs` in `outdir`, with a linked `index.mjs.map` when source maps are on.
 */
export function bridgeEsbuildOptions(
  entry: string,
  outdir: string,
  bundling: typeof BRIDGE_BUNDLING = BRIDGE_BUNDLING,
  name = 'index',
): BuildOptions & { outfile: string } {
  return {
    entryPoints: [projectPath(entry)],
    outfile: join(outdir, `${name}${bundling.format === OutputFormat.ESM ? '.mjs' : '.js'}`),
    bundle: true,
    format: bundling.format,
    target: bundling.target,
    platform: bundling.platform,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    external: [...bundling.externalModules],
    mainFields: [...bundling.mainFields],
    banner: { js: bundling.banner },
    define: { ...bundling.define },
    logLevel: 'warning',
  };
}

/**
 * The commands that build each of `lazyEntries` beside a bundle, with the esbuild that bundled it and the same
 * options (`bridgeEsbuildOptions`), run by `cdk synth` after the handler is bundled.
 */
export function lazyEntriesHooks(lazyEntries: Readonly<Record<string, string>>): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) =>
      Object.entries(lazyEntries).map(([name, entry]) => {
        const options = bridgeEsbuildOptions(entry, outputDir, BRIDGE_BUNDLING, name);
        const esbuild = `${inputDir}/node_modules/.bin/esbuild`;
        return [esbuild, `${inputDir}/${entry}`, ...esbuildFlags(options)].map(shellQuote).join(' ');
      }),
  };
}

/** `options` as esbuild's command line flags (the ones `bridgeEsbuildOptions` sets; others are refused). */
export function esbuildFlags(options: BuildOptions & { outfile: string }): string[] {
  const known = new Set([
    'entryPoints',
    'outfile',
    'bundle',
    'format',
    'target',
    'platform',
    'minify',
    'sourcemap',
    'sourcesContent',
    'external',
    'mainFields',
    'banner',
    'define',
    'logLevel',
  ]);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`esbuildFlags cannot pass ${unknown.join(', ')} on a command line`);
  return [
    ...(options.bundle ? ['--bundle'] : []),
    `--outfile=${options.outfile}`,
    `--format=${options.format}`,
    `--target=${options.target}`,
    `--platform=${options.platform}`,
    ...(options.minify ? ['--minify'] : []),
    ...(options.sourcemap ? ['--sourcemap'] : []),
    `--sources-content=${options.sourcesContent !== false}`,
    ...(options.external ?? []).map((module) => `--external:${module}`),
    ...(options.mainFields?.length ? [`--main-fields=${options.mainFields.join(',')}`] : []),
    ...Object.entries(options.banner ?? {}).map(([type, text]) => `--banner:${type}=${text}`),
    ...Object.entries(options.define ?? {}).map(([name, value]) => `--define:${name}=${value}`),
    `--log-level=${options.logLevel ?? 'warning'}`,
  ];
}

/** `text` as one word of a POSIX shell command. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** NODE_OPTIONS of a handler whose stack traces go through its source map (`sourceMapStackTraces`). */
export const SOURCE_MAP_NODE_OPTIONS = '--enable-source-maps';

export interface BridgeFunction {
  readonly function: NodejsFunction;
  readonly role: IRole;
}

/**
 * A handler of this project as Lambda runs it: Node.js 22 on arm64, one minified ESM bundle with source maps
 * and the AWS SDK inside, a log group of its own, and a role that may write to that log group only. Creates
 * `FunctionLogs`, `FunctionRole` and `Function` in `scope` (construct ids are a contract).
 */
export function createBridgeFunction(scope: Construct, props: BridgeFunctionProps): BridgeFunction {
  const logGroup = new LogGroup(scope, 'FunctionLogs', {
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    removalPolicy: props.removalPolicy,
  });
  // An own role with a log-group-scoped grant instead of AWSLambdaBasicExecutionRole, whose log actions
  // apply to every log group in the account.
  const role = new Role(scope, 'FunctionRole', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);

  const fn = new NodejsFunction(scope, 'Function', {
    description: props.description,
    entry: projectPath(props.entry),
    handler: 'handler',
    projectRoot: projectPath(),
    depsLockFilePath: projectPath('package-lock.json'),
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    reservedConcurrentExecutions: props.reservedConcurrency,
    role,
    logGroup,
    environment: {
      ...props.environment,
      ...((props.sourceMapStackTraces ?? true) ? { NODE_OPTIONS: SOURCE_MAP_NODE_OPTIONS } : {}),
    },
    bundling: {
      ...BRIDGE_BUNDLING,
      ...(props.commandHooks || props.lazyEntries
        ? {
            commandHooks: combinedHooks([
              props.commandHooks,
              props.lazyEntries && lazyEntriesHooks(props.lazyEntries),
            ]),
          }
        : {}),
    },
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Pinned to nodejs22.x on purpose: the handlers (and the module builds, esbuild target node22) are built and tested on Node 22, the project runtime; moving to a newer runtime is a deliberate upgrade with its own test run.',
  });
  return { function: fn, role };
}

/** The commands of each of `hooks`, in turn. */
function combinedHooks(hooks: ReadonlyArray<ICommandHooks | undefined>): ICommandHooks {
  const present = hooks.filter((hook): hook is ICommandHooks => hook !== undefined);
  return {
    beforeBundling: (inputDir, outputDir) =>
      present.flatMap((hook) => hook.beforeBundling(inputDir, outputDir)),
    beforeInstall: (inputDir, outputDir) =>
      present.flatMap((hook) => hook.beforeInstall(inputDir, outputDir)),
    afterBundling: (inputDir, outputDir) =>
      present.flatMap((hook) => hook.afterBundling(inputDir, outputDir)),
  };
}
