/**
 * The one test file that runs esbuild: the others skip bundling (see support.ts). It synthesizes the stack as
 * `npx cdk synth` does, once, with npm's registry unreachable and an empty npm cache: nothing may be installed
 * at synth time, and the bundles must still hold everything their functions load.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Auth0EventBridgeStack } from '../../lib/auth0-event-bridge-stack';
import { BRIDGE_BUNDLING } from '../../lib/bridge-function';
import { ESBUILD_WASM_BESIDE_BUNDLE } from '../../lib/module-registry';
import { projectPath } from '../../lib/paths';
import { sampleActionEvent } from '../support/action-events';
import { type AwsStub, lambdaEnvironment, STUB_TOKEN, startAwsStub } from '../support/aws-stub';
import { CDK_JSON_CONTEXT, TEST_ENV } from './support';

const execFileAsync = promisify(execFile);

/**
 * The ingest bundle's size budget, about 10% over its size when set (483 KiB, with S3, SQS and the Actions
 * event validators in files of their own).
 */
const INGEST_BUNDLE_BUDGET_BYTES = 530 * 1024;

/** Nothing listens on the discard port: every request npm makes fails, and offline mode forbids them anyway. */
const UNREACHABLE_REGISTRY = 'http://127.0.0.1:9/';

const outdir = mkdtempSync(join(tmpdir(), 'auth0-bridge-bundle-'));
const npmCache = mkdtempSync(join(tmpdir(), 'auth0-bridge-npm-cache-'));
let assembly: CloudAssembly;

beforeAll(() => {
  // Child processes (esbuild, and any npm that bundling might start) inherit process.env.
  vi.stubEnv('npm_config_registry', UNREACHABLE_REGISTRY);
  vi.stubEnv('npm_config_cache', npmCache);
  vi.stubEnv('npm_config_offline', 'true');
  // Timed from the stack's construction: NodejsFunction bundles as it is constructed.
  const started = performance.now();
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT }, builtinCloudFormationValidation: false });
  new Auth0EventBridgeStack(app, 'Bundled', { env: TEST_ENV });
  assembly = app.synth();
  console.info(
    `synth with bundling, registry unreachable: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}, 60_000);

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(outdir, { recursive: true, force: true });
  rmSync(npmCache, { recursive: true, force: true });
});

/** The asset directory of the one Lambda function whose logical id starts with `prefix`. */
function assetDirOf(prefix: string): string {
  const resources = assembly.getStackByName('Bundled').template.Resources as Record<
    string,
    { Type: string; Properties: { Code: { S3Key: string } } }
  >;
  const keys = Object.entries(resources)
    .filter(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith(prefix))
    .map(([, resource]) => resource.Properties.Code.S3Key);
  expect(keys).toHaveLength(1);
  return join(outdir, `asset.${keys[0]?.replace(/\.zip$/, '')}`);
}

/** Runs `script` (an ES module) in a Node.js of its own: no vitest transform defines what ESM lacks. */
function runModule(script: string, args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...args], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('synth without an npm registry', () => {
  it('leaves npm unable to fetch anything, so a synth-time install would have failed', () => {
    const view = spawnSync('npm', ['view', 'pacote', 'version'], { encoding: 'utf8', timeout: 30_000 });

    expect(view.status).not.toBe(0);
    expect(view.stderr).toContain('ENOTCACHED');
  });
});

describe('ingest bundle', () => {
  it('is an ESM bundle with the AWS SDK inside, a require shim and a source map', () => {
    const assetDir = assetDirOf('IngestFunction');

    expect(readdirSync(assetDir, { recursive: true }).map(String).sort()).toEqual([
      'action-events',
      join('action-events', 'receive.mjs'),
      join('action-events', 'receive.mjs.map'),
      'index.mjs',
      'index.mjs.map',
      'rare.mjs',
      'rare.mjs.map',
    ]);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    const bytes = statSync(join(assetDir, 'index.mjs')).size;
    console.info(`ingest bundle: index.mjs ${(bytes / 1024).toFixed(0)} KiB`);

    expect(bytes).toBeGreaterThan(100 * 1024);
    // Its size budget: every cold start compiles the whole file (bench/cold-start.ts). 483 KiB when set, with
    // no schema library (zod was 445 KiB of a 1,117 KiB bundle), the S3 and SQS clients in rare.mjs (about
    // 200 KiB) and the Actions event validators in action-events/receive.mjs; raise it only for code every
    // request needs.
    expect(bytes).toBeLessThanOrEqual(INGEST_BUNDLE_BUDGET_BYTES);
    expect(bundle.includes('"PutObjectRequest"')).toBe(false);
    expect(bundle.includes('"SendMessageBatchRequest"')).toBe(false);
    const rare = readFileSync(join(assetDir, 'rare.mjs'), 'utf8');
    expect(rare.startsWith(BRIDGE_BUNDLING.banner)).toBe(true);
    expect(rare.includes('"PutObjectRequest"')).toBe(true);
    expect(rare.includes('//# sourceMappingURL=rare.mjs.map')).toBe(true);
    expect(bundle.includes('zod')).toBe(false);
    // Booleans, not toContain: a failure message should not print a megabyte of bundle.
    expect(bundle.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
    expect(bundle.includes('//# sourceMappingURL=index.mjs.map')).toBe(true);
    // The SDK is bundled (its operation names are in the code), not imported from the runtime.
    expect(/from\s*["']@aws-sdk\//.test(bundle)).toBe(false);
    expect(bundle.includes('"PutEventsRequest"')).toBe(true);
    expect(/export\s*\{\s*\w+ as handler\s*\}/.test(bundle)).toBe(true);
    expect(existsSync(join(assetDir, 'node_modules'))).toBe(false);
  });
});

describe('the ingest bundle run as Lambda runs it', () => {
  let stub: AwsStub;
  beforeAll(async () => {
    stub = await startAwsStub();
  });
  afterAll(async () => {
    await new Promise((resolve) => stub.server.close(resolve));
  });

  /** Posts `body` to `path` through the bundled handler in a Node.js of its own, with Lambda's environment. */
  async function post(path: string, body: unknown): Promise<{ statusCode: number; body: string }> {
    const event = {
      version: '2.0',
      rawPath: path,
      headers: { authorization: `Bearer ${STUB_TOKEN}` },
      requestContext: { http: { method: 'POST', path }, requestId: 'bundling-test' },
      body: JSON.stringify(body),
      isBase64Encoded: false,
    };
    // An event can be too large for a command line: the child reads it from a file.
    const eventFile = join(outdir, `ingest-event-${randomUUID()}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const script = `
      const { readFileSync } = await import('node:fs');
      const { handler } = await import(process.argv[1]);
      const event = JSON.parse(readFileSync(process.argv[2], 'utf8'));
      console.log(JSON.stringify(await handler(event, { functionName: 'ingest', awsRequestId: 'r1' })));`;
    const bundle = pathToFileURL(join(assetDirOf('IngestFunction'), 'index.mjs')).href;
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--input-type=module', '-e', script, bundle, eventFile],
      { cwd: tmpdir(), env: lambdaEnvironment(stub.endpoint), timeout: 30_000 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  }

  it('loads rare.mjs from beside it for the records it claim-checks and quarantines', async () => {
    const response = await post('/', [
      { log_id: 'bundled-good', data: { type: 's', date: '2026-12-03T10:00:00.000Z' } },
      { log_id: 'bundled-no-type', data: { date: '2026-12-03T10:00:01.000Z' } },
      {
        log_id: 'bundled-large',
        data: { type: 'f', date: '2026-12-03T10:00:02.000Z', pad: 'x'.repeat(300_000) },
      },
    ]);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ received: 3, published: 2, duplicates: 0, quarantined: 1 });
    expect(stub.requests.some((request) => request.target === 'AmazonSQS.SendMessageBatch')).toBe(true);
    expect(stub.requests.some((request) => request.method === 'PUT')).toBe(true);
  });

  it('loads the Actions event receiver from beside it, and its refusals are still 400s', async () => {
    const published = await post('/actions/post-login', sampleActionEvent('post-login'));
    expect(published.statusCode).toBe(200);
    expect(JSON.parse(published.body)).toMatchObject({ received: 1, published: 1 });

    const refused = await post('/actions/post-login', {
      ...sampleActionEvent('post-login'),
      user: 'not an object',
    });
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body).message).toContain('user');
  });
});

describe('modules management bundle', () => {
  it('bundles pacote and carries the installed esbuild-wasm, with nothing installed at synth time', () => {
    const assetDir = assetDirOf('ModulesFunction');

    // No package.json or lock file: CDK writes those only to run an install.
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'node_modules']);
    expect(readdirSync(join(assetDir, 'node_modules'))).toEqual(['esbuild-wasm']);
    const copied = join(assetDir, 'node_modules', 'esbuild-wasm');
    const installed = projectPath('node_modules', 'esbuild-wasm');
    for (const file of ['package.json', 'lib/main.js', 'bin/esbuild', 'wasm_exec_node.js', 'wasm_exec.js']) {
      expect(readFileSync(join(copied, file), 'utf8'), file).toBe(
        readFileSync(join(installed, file), 'utf8'),
      );
    }
    expect(
      readFileSync(join(copied, 'esbuild.wasm')).equals(readFileSync(join(installed, 'esbuild.wasm'))),
    ).toBe(true);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    console.info(`modules bundle: index.mjs ${(bundle.length / 1024).toFixed(0)} KiB`);
    expect(/(from\s*|import\(|require\()["']pacote["']/.test(bundle)).toBe(false);
    // pacote's own code is in the bundle: the Accept header it asks the registry for packuments with.
    expect(bundle.includes('application/vnd.npm.install-v1+json')).toBe(true);
  });

  it('loads in plain Node.js, pacote included, and finds esbuild-wasm beside itself', () => {
    const assetDir = assetDirOf('ModulesFunction');
    const script = `
      import { createRequire } from 'node:module';
      import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
      const index = process.argv[1];
      const loaded = await import(pathToFileURL(index).href);
      console.log(JSON.stringify({
        exports: Object.keys(loaded),
        esbuildWasm: createRequire(index).resolve('esbuild-wasm'),
      }));
    `;

    // Configuration only: loading the handler builds its clients but sends no request.
    const loaded = runModule(script, [join(assetDir, 'index.mjs')], {
      AWS_REGION: TEST_ENV.region,
      MODULES_TABLE_NAME: 'modules',
      MODULE_SECRETS_PREFIX: 'test',
      MODULE_ARTIFACTS_BUCKET: 'artifacts',
    });

    expect(loaded.exports).toEqual(['handler']);
    expect(loaded.esbuildWasm).toBe(join(assetDir, 'node_modules', 'esbuild-wasm', 'lib', 'main.js'));
  });

  it('builds a module with the esbuild-wasm of its asset, as the function does in Lambda', {
    timeout: 60_000,
  }, async () => {
    // GIVEN the asset unpacked as Lambda does (a directory of its own, nowhere near the project's
    // node_modules), and the module builder bundled beside index.mjs with the function's bundling options
    const task = join(outdir, 'task');
    cpSync(assetDirOf('ModulesFunction'), task, { recursive: true });
    const emptyInstall = join(outdir, 'empty-install');
    mkdirSync(emptyInstall);
    const { buildSync } = await import('esbuild');
    buildSync({
      stdin: {
        contents: `
          import { createRequire } from 'node:module';
          import { EsbuildModuleBuilder, stopEsbuild } from './lambdas/modules/adapters/esbuild-builder';
          const builder = new EsbuildModuleBuilder({ install: async () => process.argv[1] });
          const built = await builder.build({
            moduleName: 'probe',
            code: "const { sep } = require('node:path'); module.exports = { sep, answer: 6 * 7 };",
            dependencies: [],
          });
          await stopEsbuild();
          console.log(JSON.stringify({
            esbuildWasm: createRequire(import.meta.url).resolve('esbuild-wasm'),
            content: built.content.toString('utf8'),
          }));
        `,
        resolveDir: projectPath(),
        sourcefile: 'builder-probe.ts',
        loader: 'ts',
      },
      outfile: join(task, 'builder-probe.mjs'),
      bundle: true,
      format: BRIDGE_BUNDLING.format,
      target: BRIDGE_BUNDLING.target,
      platform: BRIDGE_BUNDLING.platform,
      mainFields: [...BRIDGE_BUNDLING.mainFields],
      banner: { js: BRIDGE_BUNDLING.banner },
      define: { ...BRIDGE_BUNDLING.define },
      logLevel: 'error',
    });

    // WHEN the builder builds a module there
    const result = runModule(
      `await import(${JSON.stringify(pathToFileURL(join(task, 'builder-probe.mjs')).href)});`,
      [emptyInstall],
    );

    // THEN it used the asset's copy of esbuild-wasm, and the module runs
    expect(result.esbuildWasm).toBe(join(task, 'node_modules', 'esbuild-wasm', 'lib', 'main.js'));
    const module = { exports: {} as unknown };
    new Function('module', 'exports', 'require', String(result.content))(
      module,
      module.exports,
      (id: string) => (id === 'node:path' ? { sep } : undefined),
    );
    expect(module.exports).toEqual({ sep, answer: 42 });
  });
});

describe('copying esbuild-wasm beside the bundle', () => {
  /** Runs the hook's commands as local bundling does: one `bash -c` each, stopping at the first failure. */
  function afterBundling(project: string, output: string) {
    for (const command of ESBUILD_WASM_BESIDE_BUNDLE.afterBundling(project, output)) {
      const run = spawnSync('bash', ['-c', command], { encoding: 'utf8' });
      if (run.status !== 0) return run;
    }
    return undefined;
  }

  it("copies the installed package, whatever characters the project's path holds", () => {
    // GIVEN a project with esbuild-wasm installed, under a path with a space and a quote
    const project = join(outdir, "hook project's copy");
    mkdirSync(join(project, 'node_modules', 'esbuild-wasm', 'lib'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'esbuild-wasm', 'esbuild.wasm'), 'wasm');
    writeFileSync(join(project, 'node_modules', 'esbuild-wasm', 'lib', 'main.js'), 'main');
    const output = join(outdir, 'hook output');
    mkdirSync(output);

    // WHEN the hook's commands run
    const failed = afterBundling(project, output);

    // THEN the package sits at node_modules/esbuild-wasm of the output, and nothing else was added
    expect(failed?.stderr).toBeUndefined();
    expect(readdirSync(output)).toEqual(['node_modules']);
    expect(readFileSync(join(output, 'node_modules', 'esbuild-wasm', 'esbuild.wasm'), 'utf8')).toBe('wasm');
    expect(readFileSync(join(output, 'node_modules', 'esbuild-wasm', 'lib', 'main.js'), 'utf8')).toBe('main');
  });

  it('fails before copying, naming where esbuild-wasm is missing, when the project has no install', () => {
    const project = join(outdir, 'hook project without install');
    mkdirSync(project);
    const output = join(outdir, 'hook output without install');
    mkdirSync(output);

    const failed = afterBundling(project, output);

    expect(failed?.status).toBe(1);
    expect(failed?.stderr.trim()).toBe(
      `esbuild-wasm is not installed in ${project}/node_modules/esbuild-wasm: run npm ci.`,
    );
    expect(readdirSync(output)).toEqual([]);
  });
});
