import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { IngestAnswer, IngestPort, IngestRequest } from '../ports';

export interface HttpIngestProps {
  /** The ingest URL; a function, since local mode learns its port only once it listens. */
  readonly url: () => string;
  /** The ingest token; `fresh` asks for a new read (after a 401, the token may have been rotated). */
  readonly token: (fresh: boolean) => Promise<string>;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Posts to the ingest URL as Auth0 does, with the ingest token as `Authorization: Bearer`. The token is never
 * put in an error or a log line. A 401 is tried once more with the secret read again, in case it was rotated.
 */
export class HttpIngest implements IngestPort {
  public constructor(private readonly props: HttpIngestProps) {}

  public async post(request: IngestRequest): Promise<IngestAnswer> {
    const first = await this.send(request, await this.props.token(false));
    if (first.statusCode !== 401) return first;
    return this.send(request, await this.props.token(true));
  }

  private async send(request: IngestRequest, token: string): Promise<IngestAnswer> {
    const url = new URL(request.path, this.props.url());
    let response: Response;
    try {
      response = await (this.props.fetch ?? fetch)(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'a0bridge-quarantine-redrive',
          ...request.headers,
          authorization: `Bearer ${token}`,
        },
        body: request.body,
        signal: AbortSignal.timeout(this.props.timeoutMs ?? 60_000),
      });
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      throw new Error(
        `POST ${url.origin}${url.pathname} failed: ${cause?.message ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { statusCode: response.status, body };
  }
}

/** The ingest token from its Secrets Manager secret (`{"token": …}`), cached for `cacheMs`. */
export function secretIngestToken(
  client: SecretsManagerClient,
  secretId: string,
  cacheMs = 5 * 60 * 1000,
): (fresh: boolean) => Promise<string> {
  let cached: { token: string; at: number } | undefined;
  return async (fresh) => {
    if (!fresh && cached && Date.now() - cached.at < cacheMs) return cached.token;
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    let token: unknown;
    try {
      token = (JSON.parse(output.SecretString ?? '') as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token.length === 0) {
      // The secret's value is not repeated: it is a secret.
      throw new Error(`The ingest token secret ${secretId} holds no {"token": "…"} JSON.`);
    }
    cached = { token, at: Date.now() };
    return token;
  };
}
