/** A refusal with an HTTP status: the message is safe to send back to the caller. */
export class HttpError extends Error {
  public readonly statusCode: number;

  public constructor(statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpError';
    this.statusCode = statusCode;
  }
}

/** A configuration value is missing or malformed; the function cannot start safely. */
export class ConfigurationError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** Message of an unknown thrown value, for logs. Never call this on anything that may hold a secret. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
