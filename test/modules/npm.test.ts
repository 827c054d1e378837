/**
 * Dependency resolution and bundling with the real npm registry (the one npm is configured with), through the
 * real handler on moto. Skipped, with a visible warning, where that registry cannot be reached.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pacote from 'pacote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopEsbuild } from '../../lambdas/modules/adapters/esbuild-builder';
import { pacoteOptions } from '../../lambdas/modules/adapters/npm-registry';
import { captureOutput } from './support/capture';
import { artifactOf, jsonClient, type ManagementServer, startManagementServer } from './support/server';

const MODULES = '/api/v2/actions/modules';

async function registryReachable(): Promise<boolean> {
  const probe = pacote.manifest('is-number@latest', {
    ...pacoteOptions({ timeoutMs: 5000 }),
    preferOnline: true,
  });
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 6000).unref());
  return Promise.race([probe.then(() => true), timeout]).catch(() => false);
}

const reachable = await registryReachable();
if (!reachable) {
  console.warn(
    "npm.test.ts: SKIPPED — npm's configured registry did not answer within 6 s, so real dependency " +
      'resolution and bundling are not tested in this run.',
  );
}

describe.skipIf(!reachable)('dependencies from the real npm registry', () => {
  let server: ManagementServer;
  let call: ReturnType<typeof jsonClient>;
  let output: ReturnType<typeof captureOutput>;
  /** Printed after the output capture ends. */
  const report: string[] = [];
  let id: string;

  beforeAll(async () => {
    // A cold start: no tree installed by an earlier run.
    await rm(join(tmpdir(), 'a0bridge-modules', 'deps'), { recursive: true, force: true });
    output = captureOutput();
    server = await startManagementServer({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    call = jsonClient(server, []);
    id = (await call('POST', MODULES, { name: 'with-deps', code: '' })).body.id;
  });

  afterAll(async () => {
    await server?.close();
    await stopEsbuild();
    output?.restore();
    // Through console, once restored: vitest then names the file it comes from.
    if (report.length > 0) console.info(report.join('').trimEnd());
  });

  it('pins latest and ranges to exact versions on save, and refuses unknown packages and versions', async () => {
    const saved = await call('PATCH', `${MODULES}/${id}`, {
      dependencies: [
        { name: 'is-number', version: 'latest' },
        { name: 'is-odd', version: '^3.0.0' },
      ],
    });
    const unknownPackage = await call('PATCH', `${MODULES}/${id}`, {
      dependencies: [{ name: 'a0bridge-no-such-package-4f1c9e', version: 'latest' }],
    });
    const unknownVersion = await call('PATCH', `${MODULES}/${id}`, {
      dependencies: [{ name: 'is-number', version: '99.0.0' }],
    });

    expect(saved.status).toBe(200);
    const pinned = Object.fromEntries(
      saved.body.dependencies.map((d: { name: string; version: string }) => [d.name, d.version]),
    );
    expect(pinned['is-number']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pinned['is-odd']).toMatch(/^3\.\d+\.\d+$/);
    expect(unknownPackage.status).toBe(400);
    expect(unknownPackage.body).toMatchObject({ errorCode: 'dependency_not_found' });
    expect(unknownVersion.status).toBe(400);
    expect(unknownVersion.body).toMatchObject({ errorCode: 'dependency_version_not_found' });
  });

  it('bundles the module with its pinned dependencies (and theirs) into one runnable CommonJS file', async () => {
    await call('PATCH', `${MODULES}/${id}`, {
      code: [
        "const isNumber = require('is-number');",
        "const isOdd = require('is-odd');",
        'module.exports = { check: (n) => ({ number: isNumber(n), odd: isOdd(n) }), key: () => actions.secrets.KEY };',
      ].join('\n'),
    });

    const started = performance.now();
    const published = await call('POST', `${MODULES}/${id}/versions`);
    const coldMs = performance.now() - started;
    await call('PATCH', `${MODULES}/${id}`, { code: `${published.body.code}\n// again` });
    const warmStarted = performance.now();
    const again = await call('POST', `${MODULES}/${id}/versions`);
    const warmMs = performance.now() - warmStarted;

    expect(published.status).toBe(200);
    expect(again.status).toBe(200);
    const { text: artifact } = await artifactOf(server, id, published.body.id);

    // Run it as the runner will: CommonJS, no node_modules, `actions` provided from outside.
    const module = { exports: {} as { check(n: unknown): unknown; key(): string } };
    const actions = { secrets: { KEY: 'runtime-provided' } };
    new Function('module', 'exports', 'require', 'actions', artifact)(
      module,
      module.exports,
      (name: string) => {
        throw new Error(`the artifact required ${name} at run time`);
      },
      actions,
    );
    expect(module.exports.check(3)).toEqual({ number: true, odd: true });
    expect(module.exports.check(4)).toEqual({ number: true, odd: false });
    expect(module.exports.key()).toBe('runtime-provided');
    // is-odd 3 needs is-number 6 while the module pins is-number 7: both are bundled, each where Node finds it.
    expect(artifact).toMatch(/node_modules\/is-odd\/node_modules\/is-number\/index\.js/);
    report.push(
      `  publish latency with npm dependencies: cold ${Math.round(coldMs)} ms, warm ${Math.round(warmMs)} ms\n`,
    );
  }, 60_000);
});
