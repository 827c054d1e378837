import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Auth0EventBridgeStack, type Auth0EventBridgeStackProps } from '../../lib/auth0-event-bridge-stack';

/**
 * No stack needs bundling: NodejsFunction then runs no esbuild and hashes no files. Its asset (the project
 * root) is neither copied nor walked; AssetStaging fingerprints it from the construct path instead (hash type
 * CUSTOM). With bundling, the hash is of esbuild's output, so node_modules is not walked either way; the cost
 * saved is the esbuild run, ~0.6 s per synth here (0.1 s instead of 0.7 s). bundling.test.ts is the one test that bundles.
 */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/** The feature flags of cdk.json, so a test synthesizes what `npx cdk synth` does. */
export const CDK_JSON_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'))
  .context as Record<string, unknown>;

export const TEST_ENV = { account: '111111111111', region: 'eu-west-1' } as const;

export interface Synthesized {
  readonly stack: Auth0EventBridgeStack;
  readonly template: Template;
}

/**
 * An app with cdk.json's feature flags and no bundling. CloudFormation schema validation (which loads its rule
 * set for ~2 s per process) is off unless asked for; cfn-validate.test.ts runs it on the stacks that matter.
 */
export function testApp(options: { cfnValidation?: boolean } = {}): App {
  return new App({
    context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING },
    builtinCloudFormationValidation: options.cfnValidation ?? false,
  });
}

/** The stack as a test sees it: bundling skipped, a concrete account and region unless `env` says otherwise. */
export function synthesize(props: Auth0EventBridgeStackProps = {}, id = 'Test'): Synthesized {
  const app = testApp();
  const stack = new Auth0EventBridgeStack(app, id, { env: TEST_ENV, ...props });
  return { stack, template: Template.fromStack(stack) };
}

/** The one resource of `type` whose logical id starts with `prefix` (CDK appends a hash). */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}

export type Resource = { Type: string; Properties: Record<string, unknown> };
