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
import { ModuleNotFoundError, SecretsTooLargeError } from '../errors';
import type { ModuleSecretStore, SecretWrite } from '../ports';

export interface SecretsManagerModuleSecretsProps {
  /** Secret names are `<prefix>/modules/<moduleId>`; IAM policies scope access by this prefix. */
  readonly prefix: string;
  /** A customer managed KMS key for new secrets; Secrets Manager's own key otherwise. */
  readonly kmsKeyId?: string;
  /** @default 65,536 bytes, Secrets Manager's limit for one SecretString */
  readonly maxSecretStringBytes?: number;
}

/**
 * The JSON in a module's secret. `values` is a pool of values under random ids; each set maps secret names
 * to value ids and never changes once written. The draft and every version point at one set (the pointers
 * live in DynamoDB), so a version keeps the values it was published with, and rollback only moves a pointer.
 */
interface SecretDocument {
  readonly format: 1;
  readonly values: Record<string, string>;
  readonly sets: Record<string, Record<string, string>>;
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

  /** The secret name of a module, for the runner and for IAM: `<prefix>/modules/<moduleId>`. */
  public secretName(moduleId: string): string {
    return `${this.props.prefix.replace(/\/+$/, '')}/modules/${moduleId}`;
  }

  public async writeSet(
    moduleId: string,
    baseSetId: string | undefined,
    entries: readonly SecretWrite[],
    retain: readonly string[],
  ): Promise<string | undefined> {
    const current = await this.read(moduleId);
    if (current === undefined && entries.length === 0) return undefined;
    const document = current ?? { format: 1, values: {}, sets: {} };
    const base = (baseSetId && document.sets[baseSetId]) || {};

    const set: Record<string, string> = {};
    const values: Record<string, string> = { ...document.values };
    for (const entry of entries) {
      if ('keep' in entry) {
        const ref = base[entry.name];
        if (ref === undefined || values[ref] === undefined) {
          throw new Error(`Action module ${moduleId} has no stored value for secret ${entry.name}`);
        }
        set[entry.name] = ref;
      } else {
        const ref = randomUUID();
        values[ref] = entry.value;
        set[entry.name] = ref;
      }
    }
    const setId = entries.length > 0 ? randomUUID() : undefined;
    const sets: Record<string, Record<string, string>> = {};
    // The base set survives one more change: a publish that read the draft just before this change may still
    // commit a version pointing at it (it cannot once the draft revision moves on, so the next change drops it
    // unless a version uses it).
    for (const id of [...retain, ...(baseSetId ? [baseSetId] : [])]) {
      const kept = document.sets[id];
      if (kept) sets[id] = kept;
    }
    if (setId) sets[setId] = set;
    const next: SecretDocument = { format: 1, values: usedValues(values, sets), sets };

    const text = JSON.stringify(next);
    const bytes = Buffer.byteLength(text, 'utf8');
    const limit = this.props.maxSecretStringBytes ?? 65_536;
    if (bytes > limit) throw new SecretsTooLargeError(bytes, limit);
    await this.write(moduleId, text, current === undefined);
    return setId;
  }

  public async prune(moduleId: string, keep: readonly string[]): Promise<void> {
    const current = await this.read(moduleId);
    if (!current) return;
    const sets: Record<string, Record<string, string>> = {};
    for (const id of keep) {
      const kept = current.sets[id];
      if (kept) sets[id] = kept;
    }
    if (Object.keys(sets).length === Object.keys(current.sets).length) return;
    const next: SecretDocument = { format: 1, values: usedValues(current.values, sets), sets };
    await this.write(moduleId, JSON.stringify(next), false);
  }

  public async readSet(moduleId: string, setId: string): Promise<Record<string, string>> {
    const document = await this.read(moduleId);
    const set = document?.sets[setId];
    if (!document || !set) throw new Error(`Action module ${moduleId} has no secret set ${setId}`);
    const resolved: Record<string, string> = {};
    for (const [name, ref] of Object.entries(set)) resolved[name] = document.values[ref] ?? '';
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
      if (isMarkedDeleted(error)) throw new ModuleNotFoundError(moduleId);
      throw new SecretStoreError('GetSecretValue', moduleId, error);
    }
    try {
      const parsed = JSON.parse(text ?? '') as SecretDocument;
      if (parsed.format !== 1 || typeof parsed.values !== 'object' || typeof parsed.sets !== 'object') {
        throw new Error('unexpected shape');
      }
      return parsed;
    } catch {
      // Never include the text: it is the secret.
      throw new Error(`The secret of action module ${moduleId} does not hold the registry's JSON document`);
    }
  }

  private async write(moduleId: string, text: string, create: boolean): Promise<void> {
    const name = this.secretName(moduleId);
    if (create) {
      try {
        await this.client.send(
          new CreateSecretCommand({
            Name: name,
            SecretString: text,
            Description: `Secret values of Auth0 Event Bridge action module ${moduleId}`,
            ...(this.props.kmsKeyId ? { KmsKeyId: this.props.kmsKeyId } : {}),
            Tags: [{ Key: 'a0bridge:module-id', Value: moduleId }],
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
      if (isMarkedDeleted(error)) throw new ModuleNotFoundError(moduleId);
      throw new SecretStoreError('PutSecretValue', moduleId, error);
    }
  }
}

/** Values that some retained set still points at; the rest are dropped (garbage collection). */
function usedValues(
  values: Record<string, string>,
  sets: Record<string, Record<string, string>>,
): Record<string, string> {
  const used: Record<string, string> = {};
  for (const set of Object.values(sets)) {
    for (const ref of Object.values(set)) {
      const value = values[ref];
      if (value !== undefined) used[ref] = value;
    }
  }
  return used;
}

function isMarkedDeleted(error: unknown): boolean {
  return error instanceof Error && error.name === 'InvalidRequestException' && /deleted/i.test(error.message);
}
