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

/** An environment to read from: `process.env`, or a function's variables read back in a test. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A required variable of `env`, trimmed; throws `NAME is not set` when it is missing or blank. */
export function requiredIn(env: Environment, key: string): string {
  const value = env[key]?.trim();
  if (!value) throw new ConfigurationError(`${key} is not set`);
  return value;
}

/** A required integer of at least `min` (1 unless told), with the variable named in the error. */
export function integerIn(env: Environment, key: string, min = 1): number {
  const text = requiredIn(env, key);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    const what = min === 0 ? 'non-negative' : min === 1 ? 'positive' : `at least ${min}`;
    throw new ConfigurationError(`${key} must be a ${what} integer, got ${JSON.stringify(text)}`);
  }
  return value;
}
