import { HttpError } from '../shared/errors';

/**
 * A refusal the management API answers with Auth0's error body:
 * `{"statusCode": 409, "error": "Conflict", "message": "…", "errorCode": "…"}`.
 * Messages say what was received and what was expected; they never hold a secret value.
 */
export class RegistryError extends HttpError {
  public readonly errorCode: string;

  public constructor(statusCode: number, errorCode: string, message: string, options?: ErrorOptions) {
    super(statusCode, message, options);
    this.name = 'RegistryError';
    this.errorCode = errorCode;
  }
}

/** What the lifecycle calls the things it keeps, in messages and error codes. */
export interface EntityNoun {
  /** `action module`, `action`. */
  readonly noun: string;
  /** The prefix of error codes: `module`, `action`. */
  readonly code: string;
}

/** The request body, path or query is malformed or breaks a rule (400). */
export class InvalidRequestError extends RegistryError {
  public constructor(message: string, errorCode = 'invalid_body', options?: ErrorOptions) {
    super(400, errorCode, message, options);
    this.name = 'InvalidRequestError';
  }
}

/** A limit (Auth0's, or Secrets Manager's) would be exceeded. */
export class LimitExceededError extends RegistryError {
  public constructor(statusCode: 400 | 412, errorCode: string, message: string) {
    super(statusCode, errorCode, message);
    this.name = 'LimitExceededError';
  }
}

export class EntityNotFoundError extends RegistryError {
  public constructor(kind: EntityNoun, id: string) {
    super(404, `${kind.code}_not_found`, `No ${kind.noun} has the id ${JSON.stringify(id)}.`);
    this.name = 'EntityNotFoundError';
  }
}

export class EntityVersionNotFoundError extends RegistryError {
  public constructor(kind: EntityNoun, id: string, versionId: string) {
    super(
      404,
      `${kind.code}_version_not_found`,
      `${capitalize(kind.noun)} ${JSON.stringify(id)} has no version with the id ${JSON.stringify(versionId)}.`,
    );
    this.name = 'EntityVersionNotFoundError';
  }
}

export class EntityNameTakenError extends RegistryError {
  public constructor(kind: EntityNoun, name: string) {
    super(409, `${kind.code}_conflict`, `An ${kind.noun} named ${JSON.stringify(name)} already exists.`);
    this.name = 'EntityNameTakenError';
  }
}

/** Another request holds the draft lock for longer than we were willing to wait. */
export class EntityBusyError extends RegistryError {
  public constructor(kind: EntityNoun, id: string) {
    super(
      409,
      `${kind.code}_busy`,
      `Another request is changing ${kind.noun} ${JSON.stringify(id)}; try again in a few seconds.`,
    );
    this.name = 'EntityBusyError';
  }
}

export class NothingToPublishError extends RegistryError {
  public constructor(latestVersionNumber: number) {
    super(
      409,
      'no_changes_to_publish',
      `The draft has no changes since version ${latestVersionNumber}; there is nothing new to publish.`,
    );
    this.name = 'NothingToPublishError';
  }
}

/** The draft changed (or another publish won) between reading it and writing the version. */
export class DraftChangedError extends RegistryError {
  public constructor(message: string) {
    super(409, 'draft_changed', message);
    this.name = 'DraftChangedError';
  }
}

export class RollbackNotNeededError extends RegistryError {
  public constructor(versionNumber: number) {
    super(
      409,
      'draft_equals_version',
      `The draft already equals version ${versionNumber}; nothing to roll back.`,
    );
    this.name = 'RollbackNotNeededError';
  }
}

/** `If-Match` named a draft revision that is no longer current. */
export class RevisionMismatchError extends RegistryError {
  public constructor(kind: EntityNoun, expected: string, current: number) {
    super(
      412,
      'precondition_failed',
      `If-Match expected draft revision ${expected}, but the draft is at revision "${current}"; read the ${kind.noun} again.`,
    );
    this.name = 'RevisionMismatchError';
  }
}

export class DependencyNotFoundError extends RegistryError {
  public constructor(name: string) {
    super(
      400,
      'dependency_not_found',
      `The npm package ${JSON.stringify(name)} does not exist in the registry.`,
    );
    this.name = 'DependencyNotFoundError';
  }
}

export class DependencyVersionNotFoundError extends RegistryError {
  public constructor(name: string, spec: string) {
    super(
      400,
      'dependency_version_not_found',
      `The npm package ${JSON.stringify(name)} has no version matching ${JSON.stringify(spec)}.`,
    );
    this.name = 'DependencyVersionNotFoundError';
  }
}

/** npm's registry did not answer; the request may succeed later. */
export class RegistryUnavailableError extends RegistryError {
  public constructor(what: string, options?: ErrorOptions) {
    super(
      503,
      'npm_registry_unavailable',
      `The npm registry could not be reached while ${what}; try again.`,
      options,
    );
    this.name = 'RegistryUnavailableError';
  }
}

/** Bundling the code failed: no version is created. */
export class BuildFailedError extends RegistryError {
  public constructor(details: string, options?: ErrorOptions) {
    super(
      400,
      'build_failed',
      `The module could not be built, so no version was created: ${details}`,
      options,
    );
    this.name = 'BuildFailedError';
  }
}

/** The secret document would outgrow one Secrets Manager secret (values kept for versions count too). */
export class SecretsTooLargeError extends LimitExceededError {
  public constructor(bytes: number, limit: number) {
    super(
      400,
      'secrets_too_large',
      `The module's secrets, with the values its published versions keep, would take ${bytes} bytes; ` +
        `Secrets Manager holds at most ${limit} bytes per secret (limit: ${limit} bytes). ` +
        'Remove secrets or use shorter values.',
    );
    this.name = 'SecretsTooLargeError';
  }
}

/** The store lost the draft lock before it could write (it expired and another request took it). */
export class LeaseLostError extends Error {
  public constructor(id: string) {
    super(`The draft lock on ${id} expired before the change was written`);
    this.name = 'LeaseLostError';
  }
}

/** The version could not be written because the entity moved on (draft revision or version count changed). */
export class VersionConflictError extends Error {
  public constructor(id: string) {
    super(`${id} changed while its version was being written`);
    this.name = 'VersionConflictError';
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
