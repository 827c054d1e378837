import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../../shared/errors';
import type { TokenSource } from '../ports';

export interface SecretTokenSourceProps {
  readonly secretId: string;
  /** How long tokens stay cached in the container. */
  readonly cacheSeconds: number;
  /** Refreshes forced by unknown tokens happen at most this often, so bad tokens cannot flood Secrets Manager. */
  readonly minRefreshIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * Reads the accepted tokens from one Secrets Manager secret. The secret holds JSON, `{"token": "…"}`, and
 * during a rotation `{"token": "new", "previous_token": "old"}`; `{"tokens": […]}` and a bare string work too.
 */
export class SecretTokenSource implements TokenSource {
  private readonly provider: SecretsProvider;
  private lastForcedRefresh = Number.NEGATIVE_INFINITY;

  public constructor(
    client: SecretsManagerClient,
    private readonly props: SecretTokenSourceProps,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  public current(): Promise<readonly string[]> {
    return this.read(false);
  }

  public refresh(): Promise<readonly string[]> {
    const now = (this.props.now ?? Date.now)();
    if (now - this.lastForcedRefresh < (this.props.minRefreshIntervalMs ?? 30_000)) return this.read(false);
    this.lastForcedRefresh = now;
    return this.read(true);
  }

  private async read(forceFetch: boolean): Promise<readonly string[]> {
    const value = await this.provider.get(this.props.secretId, {
      maxAge: this.props.cacheSeconds,
      forceFetch,
    });
    if (typeof value !== 'string') {
      throw new ConfigurationError(
        `Secret ${this.props.secretId} has no SecretString; store the token as JSON text.`,
      );
    }
    return parseTokenSecret(value, this.props.secretId);
  }
}

/** The tokens a secret holds. Error messages name the secret and the expected shape, never the value. */
export function parseTokenSecret(secret: string, secretId: string): string[] {
  const trimmed = secret.trim();
  let tokens: unknown[];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ConfigurationError(`Secret ${secretId} looks like JSON but does not parse.`);
    }
    if (Array.isArray(parsed)) tokens = parsed;
    else {
      const object = parsed as { token?: unknown; previous_token?: unknown; tokens?: unknown };
      tokens = Array.isArray(object.tokens) ? object.tokens : [object.token, object.previous_token];
    }
  } else tokens = [trimmed];
  const valid = tokens.filter(
    (token): token is string => typeof token === 'string' && token.trim().length > 0,
  );
  if (valid.length === 0) {
    throw new ConfigurationError(
      `Secret ${secretId} holds no token; expected {"token": "…"} with an optional "previous_token".`,
    );
  }
  return valid.map((token) => token.trim());
}
