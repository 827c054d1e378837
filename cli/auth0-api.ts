/**
 * Auth0's Management API, as much of it as `a0bridge auth0` needs: the tenant's domain, an access token
 * (given, or from the client credentials grant) and JSON requests. Auth0's error bodies may echo request
 * fields, so every error raised here is checked against the secrets in play (the access token, the client
 * secret, the ingest token) and loses its message when it holds any part of one.
 */
import { isLoopback, UsageError } from './client';

/** A tenant: `https://tenant.eu.auth0.com`, a custom domain, or a loopback stand-in for tests. */
export interface Auth0Domain {
  /** `https://tenant.eu.auth0.com`, or `http://127.0.0.1:<port>` for a stand-in. */
  readonly origin: string;
  readonly host: string;
  /** A stand-in on this machine, not a real tenant: Auth0's servers are never loopback. */
  readonly loopback: boolean;
}

/** An answer from Auth0 that is not a success; `detail` is already free of every secret in play. */
export class Auth0ApiError extends Error {
  public constructor(
    public readonly status: number,
    public readonly errorCode: string | undefined,
    public readonly detail: string | undefined,
    /** Whether Auth0's own message was dropped because it held (part of) a secret. */
    public readonly withheld: boolean,
    /** Getting the access token (`/oauth/token`), or a Management API call. */
    public readonly during: 'token' | 'api',
  ) {
    super(
      `Auth0 answered ${status}${errorCode ? ` (${errorCode})` : ''}: ${
        withheld ? "Auth0's message is not shown: it repeats part of a secret the request carried" : detail
      }`,
    );
    this.name = 'Auth0ApiError';
  }
}

/**
 * `tenant.eu.auth0.com`, `https://tenant.eu.auth0.com/` or a custom domain, https only; `http://` only on
 * loopback (a stand-in for tests). Nothing but scheme, host and port.
 */
export function parseDomain(input: string): Auth0Domain {
  const text = input.trim();
  const expected =
    'Expected the tenant domain, such as tenant.eu.auth0.com or login.example.com (https only; http:// only on 127.0.0.1 for a stand-in)';
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new UsageError(`--domain ${JSON.stringify(input)} is not a domain. ${expected}.`);
  }
  const loopback = isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError(
      `--domain ${JSON.stringify(input)} uses ${url.protocol.replace(':', '')}: Auth0's Management API is reached over https only. ${expected}.`,
    );
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new UsageError(
      `--domain must be the domain alone, without a path, query or user (got ${JSON.stringify(url.host + url.pathname)}). ${expected}.`,
    );
  }
  if (!loopback && !url.hostname.includes('.')) {
    throw new UsageError(`--domain ${JSON.stringify(input)} has no dot. ${expected}.`);
  }
  return { origin: url.origin, host: url.host, loopback };
}

/** The domain as `--domain` takes it back: the host, or the whole origin for an http stand-in. */
export function domainArgument(domain: Auth0Domain): string {
  return domain.origin.startsWith('https://') ? domain.host : domain.origin;
}

/** Whether `text` holds a secret, or any 8 characters in a row of one (an echo may be cut short). */
export function mentionsSecret(text: string, secrets: readonly string[]): boolean {
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const window = Math.min(secret.length, 8);
    for (let start = 0; start + window <= secret.length; start++) {
      if (text.includes(secret.slice(start, start + window))) return true;
    }
  }
  return false;
}

/** How `a0bridge auth0` reaches the Management API: a ready token, or a machine-to-machine application. */
export type ManagementCredentials =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'client';
      readonly clientId: string;
      readonly clientSecret: string;
      /** @default `https://<domain>/api/v2/` */
      readonly audience?: string;
    };

export interface Auth0ClientOptions {
  readonly domain: Auth0Domain;
  readonly credentials: ManagementCredentials;
  /** Further values no error may show (the ingest token). */
  readonly secrets?: readonly string[];
  readonly fetch?: typeof fetch;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

/** JSON requests to `https://<domain>/api/v2/…` with a bearer token, fetched once when needed. */
export class Auth0Client {
  public readonly domain: Auth0Domain;
  private readonly secrets: string[];
  private accessToken?: string;

  public constructor(private readonly options: Auth0ClientOptions) {
    this.domain = options.domain;
    this.secrets = [...(options.secrets ?? [])];
    const { credentials } = options;
    if (credentials.kind === 'token') this.remember(credentials.token);
    else this.remember(credentials.clientSecret);
  }

  /** The audience the client credentials grant asks for. */
  public get audience(): string {
    const { credentials } = this.options;
    return (credentials.kind === 'client' && credentials.audience) || `${this.domain.origin}/api/v2/`;
  }

  /** A Management API request; the parsed JSON answer, or an `Auth0ApiError`. */
  public async request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const token = await this.token();
    const response = await this.send(`/api/v2${path}`, {
      method,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = await readJson(response);
    if (response.status >= 300) throw this.apiError('api', response.status, parsed, 'errorCode', 'message');
    return parsed as T;
  }

  private async token(): Promise<string> {
    if (this.accessToken !== undefined) return this.accessToken;
    const { credentials } = this.options;
    if (credentials.kind === 'token') {
      this.accessToken = credentials.token;
      return this.accessToken;
    }
    const response = await this.send('/oauth/token', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        audience: this.audience,
      }),
    });
    const parsed = (await readJson(response)) as { access_token?: unknown } | undefined;
    if (response.status >= 300) {
      throw this.apiError('token', response.status, parsed, 'error', 'error_description');
    }
    if (typeof parsed?.access_token !== 'string' || parsed.access_token.length === 0) {
      throw new Auth0ApiError(
        response.status,
        undefined,
        'the token answer holds no access_token',
        false,
        'token',
      );
    }
    this.accessToken = this.remember(parsed.access_token);
    return this.accessToken;
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const url = `${this.domain.origin}${path}`;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        ...init,
        // A redirect would carry the bearer token to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
      const described =
        (error as Error).name === 'TimeoutError'
          ? 'no answer in time'
          : (cause?.code ?? (error as Error).message);
      // fetch repeats an invalid header value in its message: that would be the token.
      const reason = mentionsSecret(described, this.secrets) ? 'the request could not be sent' : described;
      throw new UsageError(
        `Could not reach ${this.domain.origin} (${reason}). Is --domain the tenant's domain (tenant.eu.auth0.com)?`,
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new UsageError(
        `${this.domain.origin}${path} answered ${response.status}, a redirect, which a0bridge does not follow (it would carry the token elsewhere). Is --domain the tenant's domain (tenant.eu.auth0.com)?`,
      );
    }
    return response;
  }

  private apiError(
    during: Auth0ApiError['during'],
    status: number,
    parsed: unknown,
    codeField: string,
    messageField: string,
  ): Auth0ApiError {
    const body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const code = typeof body[codeField] === 'string' ? (body[codeField] as string) : undefined;
    const message = typeof body[messageField] === 'string' ? (body[messageField] as string) : undefined;
    const codeLeaks = code !== undefined && mentionsSecret(code, this.secrets);
    const messageLeaks = message !== undefined && mentionsSecret(message, this.secrets);
    return new Auth0ApiError(
      status,
      codeLeaks ? undefined : code,
      messageLeaks || message === undefined ? `HTTP ${status}` : message,
      codeLeaks || messageLeaks,
      during,
    );
  }

  private remember(secret: string): string {
    this.secrets.push(secret);
    return secret;
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: not shown, since it could repeat anything the request carried.
    return undefined;
  }
}
