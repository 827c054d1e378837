import { Token } from 'aws-cdk-lib';

/** A construct prop or app context value that cannot work; thrown at synth, before anything is deployed. */
export class InvalidPropsError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidPropsError';
  }
}

/**
 * Checks that an optional prop is a whole number in `[min, max]`, and names the construct, the prop and the
 * value received: `Ingest: dedupTtlDays must be a whole number from 1 to 365, got 0`.
 */
export function checkInteger(
  where: string,
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  hint = '',
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidPropsError(
      `${where}: ${name} must be a whole number from ${min} to ${max}${hint ? ` (${hint})` : ''}, got ${JSON.stringify(value)}`,
    );
  }
}

/** Checks an optional name prop against the pattern and length the AWS service accepts. */
export function checkName(
  where: string,
  name: string,
  value: string | undefined,
  pattern: RegExp,
  rule: string,
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!pattern.test(value)) {
    throw new InvalidPropsError(`${where}: ${name} must be ${rule}, got ${JSON.stringify(value)}`);
  }
}
