/**
 * Reads secret sets from Secrets Manager for the local runner: `<prefix>/actions/<actionId>` and
 * `<prefix>/modules/<moduleId>` (named by `secretIdFor`, as the registry's adapters and the Lambda host name
 * them), in the registry's document format (`lambdas/lifecycle/secret-sets.ts`). Only the parent process reads
 * them; each child is given its own action's values over IPC.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type SecretKind, secretIdFor } from '../../lambdas/actions/host/contract';
import type { SecretSetStore } from '../../lambdas/actions/ports';
import { parseSecretDocument, resolveSecretSet } from '../../lambdas/lifecycle/secret-sets';

export type SecretSetReader = Pick<SecretSetStore, 'readSet'>;

/** A secret set a deployment names could not be read. Never holds a value. */
export class SecretSetUnavailableError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretSetUnavailableError';
  }
}

/** `SecretSetStore.readSet` for one kind of owner, on Secrets Manager. */
export class SecretsManagerSetReader implements SecretSetReader {
  public constructor(
    private readonly client: SecretsManagerClient,
    private readonly prefix: string,
    private readonly kind: SecretKind,
  ) {}

  public async readSet(ownerId: string, setId: string): Promise<Record<string, string>> {
    const name = secretIdFor(this.prefix, this.kind, ownerId);
    let text: string | undefined;
    try {
      text = (await this.client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
    } catch (error) {
      // Only the error's name: an SDK message is not ours to vouch for.
      const why = error instanceof Error ? error.name : typeof error;
      throw new SecretSetUnavailableError(`Could not read the secret ${name}: ${why}`, { cause: error });
    }
    const values = resolveSecretSet(parseSecretDocument(text ?? '', name), setId);
    if (!values) {
      throw new SecretSetUnavailableError(
        `The secret ${name} holds no secret set ${setId}; the version was deployed with secrets that were since removed. Deploy it again.`,
      );
    }
    return values;
  }
}
