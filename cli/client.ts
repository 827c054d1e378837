/**
 * HTTP client for the management API: requests with the local management token to the local stack,
 * SigV4-signed requests (service `lambda`, credentials from the default provider chain) to a deployed stack's
 * Function URL.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface ClientOptions {
  /** The Function URL of the management function, or the local server (`http://127.0.0.1:3000`). */
  readonly endpoint: string;
  /** Sign with SigV4; by default, every endpoint that is not on loopback is signed. */
  readonly sign?: boolean;
  readonly region?: string;
  readonly profile?: string;
  /**
   * The local stack's management token, sent as `Authorization: Bearer`. Only to an unsigned loopback
   * endpoint: it must not travel to another host, and a signed request's Authorization is the signature.
   */
  readonly token?: string;
  readonly fetch?: typeof fetch;
}

export interface ApiResult {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: API bodies are read field by field by the commands
  readonly body: any;
}

/** A non-2xx answer, with Auth0's error body when there is one. */
export class ApiError extends Error {
  public constructor(
    public readonly status: number,
    public readonly errorCode: string | undefined,
    message: string,
    public readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class ManagementClient {
  public readonly base: URL;
  private readonly signer?: SignatureV4;

  public constructor(private readonly options: ClientOptions) {
    let base: URL;
    try {
      base = new URL(options.endpoint);
    } catch {
      throw new UsageError(
        `--endpoint must be a URL such as http://127.0.0.1:3000 or the management Function URL, got ${JSON.stringify(options.endpoint)}.`,
      );
    }
    this.base = base;
    const sign = options.sign ?? !isLoopback(base.hostname);
    if (options.token !== undefined && (sign || !isLoopback(base.hostname))) {
      throw new UsageError(
        'The management token is for the local stack (npm start, on 127.0.0.1) only; a deployed stack is reached with SigV4 and AWS credentials.',
      );
    }
    if (sign) {
      const region = options.region ?? regionOfFunctionUrl(base.hostname);
      if (!region) {
        throw new UsageError(
          'Signing needs a region: pass --region or set AWS_REGION (it cannot be read from this endpoint).',
        );
      }
      this.signer = new SignatureV4({
        service: 'lambda',
        region,
        sha256: Sha256,
        credentials: fromNodeProviderChain(options.profile ? { profile: options.profile } : {}),
      });
    }
  }

  public async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {},
  ): Promise<ApiResult> {
    const url = new URL(this.base.toString());
    url.pathname = `${this.base.pathname.replace(/\/+$/, '')}${path}`;
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(this.options.token === undefined ? {} : { authorization: `Bearer ${this.options.token}` }),
      ...options.headers,
    };
    if (this.signer) headers = await this.signed(method, url, headers, body);
    const response = await (this.options.fetch ?? fetch)(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    }).catch((error: unknown) => {
      throw new UsageError(
        `Could not reach ${this.base.origin}: ${(error as Error).cause ?? (error as Error).message}. Is the stack running (npm start) and the endpoint right?`,
      );
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (response.status >= 400) {
      const error = parsed as { message?: string; errorCode?: string; Message?: string } | undefined;
      const message =
        (typeof error === 'object' && (error?.message ?? error?.Message)) ||
        (typeof parsed === 'string' && parsed) ||
        `HTTP ${response.status}`;
      throw new ApiError(
        response.status,
        typeof error === 'object' ? error?.errorCode : undefined,
        String(message),
        parsed,
      );
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  private async signed(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<Record<string, string>> {
    const request = new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...headers, host: url.host },
      ...(body === undefined ? {} : { body }),
    });
    const signed = await (this.signer as SignatureV4).sign(request);
    return signed.headers;
  }

  /** Whether requests are signed with SigV4 (a deployed stack) rather than sent with the local token. */
  public get signs(): boolean {
    return this.signer !== undefined;
  }
}

export function isLoopback(hostname: string): boolean {
  return ['localhost', '127.0.0.1', '::1', '[::1]'].includes(hostname) || hostname.startsWith('127.');
}

/** `<id>.lambda-url.<region>.on.aws` → `<region>`. */
export function regionOfFunctionUrl(hostname: string): string | undefined {
  return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(hostname)?.[1];
}
