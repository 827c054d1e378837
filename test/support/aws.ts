import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { emulatorEnvironment } from '../../local/moto';
import type { AwsTarget } from '../../local/provision';

export const REGION = 'us-east-1';

/** The moto_server the global setup started, for this test file. */
export function emulator(): AwsTarget {
  return { endpoint: inject('awsEndpoint'), region: REGION };
}

/** Points the SDK's module-scope clients at moto; call before importing a handler. */
export function useEmulatorEnvironment(): AwsTarget {
  const aws = emulator();
  Object.assign(process.env, emulatorEnvironment(aws.endpoint, aws.region));
  return aws;
}

/** A resource name no other test file uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
