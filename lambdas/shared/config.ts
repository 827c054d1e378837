import { getNumberFromEnv, getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { ConfigurationError } from './errors';

/** A required environment variable; throws `NAME is not set` when it is missing or empty. */
export function requireEnv(key: string): string {
  return getStringFromEnv({ key, errorMessage: `${key} is not set` });
}

export function optionalEnv(key: string, defaultValue: string): string {
  return getStringFromEnv({ key, defaultValue });
}

/** A positive integer from the environment, with the variable named in the error. */
export function positiveIntFromEnv(key: string, defaultValue: number): number {
  const value = getNumberFromEnv({ key, defaultValue });
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(
      `${key} must be a positive integer, got ${JSON.stringify(process.env[key])}`,
    );
  }
  return value;
}
