import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ActionNotFoundError } from '../../actions/errors';
import {
  parseSecretDocument,
  pruneSecretSets,
  resolveSecretSet,
  type SecretCollection,
  type SecretDocument,
  type SecretWrite,
  secretNameFor,
  writeSecretSet,
} from '../../lifecycle/secret-sets';
import { ModuleNotFoundError, SecretsTooLargeError } from '../errors';
import type { ModuleSecretStore } from '../ports';

export interface SecretsManagerModuleSecretsProps {
  /** Secret names are `<prefix>/<collection>/<ownerId>`; IAM policies scope access by this prefix. */
  readonly prefix: string;
  /** Whose secrets these are. @default 'modules' */
  readonly collection?: SecretCollection;
  /** A customer managed KMS key for new secrets; Secrets Manager's own key otherwise. */
  readonly kmsKeyId?: string;
  /** @default 65,536 bytes, Secrets Manager's limit for one SecretString */
  readonly maxSecretStringBytes?: number;
}

/** A Secrets Manager call failed. Only the error's name is kept: an SDK message is not ours to vouch for. */
export class SecretStoreError extends Error {
  public constructor(operation: string, moduleId: string, cause: unknown) {
    const name = cause instanceof Error ? cause.name : typeof cause;
    super(`Secrets Manager ${operation} failed for action module ${moduleId}: ${name}`);
    this.name = 'SecretStoreError';
  }
}

export class SecretsManagerModuleSecrets implements ModuleSecretStore {
  public constructor(
    private readonly client: SecretsManagerClient,
    private readonly props: SecretsManagerModuleSecretsProps,
  ) {}

  /** The secret name of an owner, for the runner and for IAM: `<prefix>/<collection>/<ownerId>`. */
  public secretName(moduleId: string): string {
    return secretNameFor(this.props.prefix, this.props.collection ?? 'modules', moduleId);
  }

  private noun(): string {
    return this.props.collection === 'actions' ? 'action' : 'action module';
  }

  private notFound(id: string): Error {
    return this.props.collection === 'actions' ? new ActionNotFoundError(id) : new ModuleNotFoundError(id);
  }

  public async writeSet(
    moduleId: string,
    baseSetId: string | undefined,
    entries: readonly SecretWrite[],
    retain: readonly string[],
  ): Promise<string | undefined> {
    const current = await this.read(moduleId);
    if (current === undefined && entries.length === 0) return undefined;
    const { document: next, setId } = writeSecretSet(
      current ?? { format: 1, values: {}, sets: {} },
      baseSetId,
      entries,
      retain,
      randomUUID,
    );
    const text = JSON.stringify(next);
    const bytes = Buffer.byteLength(text, 'utf8');
    const limit = this.props.maxSecretStringBytes ?? 65_536;
    if (bytes > limit) throw new SecretsTooLargeError(bytes, limit);
    await this.write(moduleId, text, current === undefined);
    return setId;
  }

  public async prune(moduleId: string, keep: readonly string[]): Promise<void> {
    const current = await this.read(moduleId);
    const next = current && pruneSecretSets(current, keep);
    if (next) await this.write(moduleId, JSON.stringify(next), false);
  }

  public async readSet(moduleId: string, setId: string): Promise<Record<string, string>> {
    const document = await this.read(moduleId);
    const resolved = document && resolveSecretSet(document, setId);
    if (!resolved) throw new Error(`The ${this.noun()} ${moduleId} has no secret set ${setId}`);
    return resolved;
  }

  public async deleteAll(moduleId: string, force: boolean): Promise<void> {
    try {
      await this.client.send(
        new DeleteSecretCommand({
          SecretId: this.secretName(moduleId),
          ...(force ? { ForceDeleteWithoutRecovery: true } : { RecoveryWindowInDays: 7 }),
        }),
      );
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw new SecretStoreError('DeleteSecret', moduleId, error);
    }
  }

  private async read(moduleId: string): Promise<SecretDocument | undefined> {
    let text: string | undefined;
    try {
      const output = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretName(moduleId) }),
      );
      text = output.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      if (isMarkedDeleted(error)) throw this.notFound(moduleId);
      throw new SecretStoreError('GetSecretValue', moduleId, error);
    }
    return parseSecretDocument(text ?? '', `${this.noun()} ${moduleId}`);
  }

  private async write(moduleId: string, text: string, create: boolean): Promise<void> {
    const name = this.secretName(moduleId);
    if (create) {
      try {
        await this.client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: text,
            Description: `Secret values of Auth0 Event Bridge ${this.noun()} ${moduleId}`,
            ...(this.props.kmsKeyId ? { KmsKeyId: this.props.kmsKeyId } : {}),
            Tags: [
              {
                Key: `a0bridge:${this.props.collection === 'actions' ? 'action' : 'module'}-id`,
                Value: moduleId,
              },
            ],
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ResourceExistsException))
          throw new SecretStoreError('CreateSecret', moduleId, error);
      }
    }
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: text }));
    } catch (error) {
      if (isMarkedDeleted(error)) throw this.notFound(moduleId);
      throw new SecretStoreError('PutSecretValue', moduleId, error);
    }
  }
}

function isMarkedDeleted(error: unknown): boolean {
  return error instanceof Error && error.name === 'InvalidRequestException' && /deleted/i.test(error.message);
}
