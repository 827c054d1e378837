/** A refusal with an HTTP status: the message is safe to send back to the caller. */
export class HttpError extends Error {
  public readonly statusCode: number;

  public constructor(statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpError';
    this.statusCode = statusCode;
  }
}

/**
 * Whether `error` is an HttpError, also one made by the copy of this class in a file a handler loads beside its
 * bundle (`lazyEntries`, lib/bridge-function.ts), which `instanceof` does not recognise.
 */
export function isHttpError(error: unknown): error is HttpError {
  if (error instanceof HttpError) return true;
  return (
    error instanceof Error &&
    error.name === 'HttpError' &&
    typeof (error as { statusCode?: unknown }).statusCode === 'number'
  );
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
