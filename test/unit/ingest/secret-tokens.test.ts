import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretTokenSource } from '../../../lambdas/ingest/adapters/secret-tokens';
import { ConfigurationError } from '../../../lambdas/shared/errors';

const secretsMock = mockClient(SecretsManagerClient);
const TOKEN = 'tok-0123456789';

beforeEach(() => {
  secretsMock.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

function source(now: () => number, cacheSeconds = 300) {
  return new SecretTokenSource(new SecretsManagerClient({ region: 'us-east-1' }), {
    secretId: 'auth0-token',
    cacheSeconds,
    minRefreshIntervalMs: 30_000,
    now,
  });
}

describe('SecretTokenSource reading Secrets Manager', () => {
  it('asks for the configured secret by id', async () => {
    // GIVEN a secret holding one token
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: TOKEN }) });

    // WHEN the tokens are read
    const tokens = await source(() => 0).current();

    // THEN the one call names the secret, and nothing else
    expect(tokens).toEqual([TOKEN]);
    expect(secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: 'auth0-token' },
    ]);
  });

  it('reads the secret again once cacheSeconds have passed, not before', async () => {
    // Powertools Parameters keeps the value by the wall clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-12-03T12:00:00Z'));
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ token: 'old' }) })
      .resolves({ SecretString: JSON.stringify({ token: 'new' }) });
    const tokens = source(() => Date.now(), 60);

    expect(await tokens.current()).toEqual(['old']);
    vi.setSystemTime(Date.parse('2026-12-03T12:00:59Z'));
    expect(await tokens.current()).toEqual(['old']);
    vi.setSystemTime(Date.parse('2026-12-03T12:01:01Z'));
    expect(await tokens.current()).toEqual(['new']);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps nothing when cacheSeconds is 0', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: TOKEN });
    const tokens = source(() => 0, 0);

    await tokens.current();
    await tokens.current();

    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refuses a binary secret, naming the secret, and keeps it until it expires', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode(TOKEN) });
    const tokens = source(() => 0);

    await expect(tokens.current()).rejects.toThrow(ConfigurationError);
    await expect(tokens.current()).rejects.toThrow(/Secret auth0-token has no SecretString/);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not keep an answer without a value, so the next request reads again', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '' });
    const tokens = source(() => 0);

    await expect(tokens.current()).rejects.toThrow(/has no SecretString/);
    await expect(tokens.current()).rejects.toThrow(/has no SecretString/);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('fails a read Secrets Manager refuses, and does not cache the failure', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform GetSecretValue'), {
      name: 'AccessDeniedException',
    });
    secretsMock.on(GetSecretValueCommand).rejectsOnce(denied).resolves({ SecretString: TOKEN });
    const tokens = source(() => 0);

    const error = await tokens.current().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(TOKEN);
    expect(await tokens.current()).toEqual([TOKEN]);
  });

  it('forces a read on refresh, at most once per interval, and caches what it read', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'one' })
      .resolves({ SecretString: JSON.stringify({ token: 'two', previous_token: 'one' }) });
    const tokens = source(() => 0);

    expect(await tokens.current()).toEqual(['one']);
    expect(await tokens.refresh()).toEqual(['two', 'one']);
    expect(await tokens.refresh()).toEqual(['two', 'one']);
    expect(await tokens.current()).toEqual(['two', 'one']);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
