import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { Auth0EventBridgeStack } from '../../lib/auth0-event-bridge-stack';
import { CDK_JSON_CONTEXT, TEST_ENV } from './support';

/** The one test that runs esbuild: the others skip bundling (see support.ts). */
describe('ingest bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'auth0-bridge-bundle-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is an ESM bundle with the AWS SDK inside, a require shim and a source map', {
    timeout: 120_000,
  }, () => {
    // GIVEN an app that bundles (no aws:cdk:bundling-stacks override)
    const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT }, builtinCloudFormationValidation: false });
    new Auth0EventBridgeStack(app, 'Bundled', { env: TEST_ENV });

    // WHEN it is synthesized
    const assembly = app.synth();

    // THEN the function's asset holds index.mjs and its map
    const template = assembly.getStackByName('Bundled').template;
    const fn = Object.values<{ Type: string; Properties: { Code: { S3Key: string } } }>(
      template.Resources,
    ).find((resource) => resource.Type === 'AWS::Lambda::Function');
    const assetDir = join(outdir, `asset.${fn?.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    const bytes = statSync(join(assetDir, 'index.mjs')).size;
    console.info(`ingest bundle: index.mjs ${(bytes / 1024).toFixed(0)} KiB`);

    expect(bytes).toBeGreaterThan(100 * 1024);
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
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
