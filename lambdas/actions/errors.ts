import {
  EntityBusyError,
  EntityNameTakenError,
  EntityNotFoundError,
  type EntityNoun,
  EntityVersionNotFoundError,
  LimitExceededError,
  RegistryError,
} from '../lifecycle/errors';
import { UnknownTriggerError } from './bindings/errors';

export const ACTION_NOUN: EntityNoun = { noun: 'action', code: 'action' };

export class ActionNotFoundError extends EntityNotFoundError {
  public constructor(id: string) {
    super(ACTION_NOUN, id);
    this.name = 'ActionNotFoundError';
  }
}

export class ActionVersionNotFoundError extends EntityVersionNotFoundError {
  public constructor(id: string, versionId: string) {
    super(ACTION_NOUN, id, versionId);
    this.name = 'ActionVersionNotFoundError';
  }
}

export class ActionNameTakenError extends EntityNameTakenError {
  public constructor(name: string) {
    super(ACTION_NOUN, name);
    this.name = 'ActionNameTakenError';
  }
}

export class ActionBusyError extends EntityBusyError {
  public constructor(id: string) {
    super(ACTION_NOUN, id);
    this.name = 'ActionBusyError';
  }
}

export class ActionLimitError extends LimitExceededError {
  public constructor(limit: number) {
    super(
      400,
      'too_many_actions',
      `The tenant already has ${limit} actions, the most allowed (limit: ${limit} actions). Delete one first.`,
    );
    this.name = 'ActionLimitError';
  }
}

/** The action is bound to triggers; deleting it needs `?force=true`, which removes the bindings too. */
export class ActionBoundError extends RegistryError {
  public constructor(id: string, triggers: readonly string[]) {
    super(
      412,
      'action_bound',
      `Action ${JSON.stringify(id)} is bound to ${triggers.join(', ')}; unbind it first, or delete with ?force=true to remove its bindings too.`,
    );
    this.name = 'ActionBoundError';
  }
}

/** A binding names an action that was never deployed: there is nothing to run yet. */
export class ActionNotDeployedError extends RegistryError {
  public constructor(name: string) {
    super(
      400,
      'action_not_deployed',
      `Action ${JSON.stringify(name)} has no deployed version; deploy it before binding it.`,
    );
    this.name = 'ActionNotDeployedError';
  }
}

export class ExecutionNotFoundError extends RegistryError {
  public constructor(id: string) {
    super(
      404,
      'execution_not_found',
      `No execution has the id ${JSON.stringify(id.slice(0, 200))} (executions are kept 10 days).`,
    );
    this.name = 'ExecutionNotFoundError';
  }
}

/** The trigger table's errors, as the API answers them. */
export function asRegistryError(error: unknown, status: 400 | 404 = 400): unknown {
  if (error instanceof UnknownTriggerError)
    return new RegistryError(status, 'trigger_not_found', error.message);
  return error;
}
