/** A trigger id that is not in the trigger table. The message names the closest ids. */
export class UnknownTriggerError extends Error {
  public readonly triggerId: string;

  public constructor(message: string, triggerId: string) {
    super(message);
    this.name = 'UnknownTriggerError';
    this.triggerId = triggerId;
  }
}

/** One or more bindings cannot become rules; `problems` lists each, and the message lists them all. */
export class InvalidBindingsError extends Error {
  public readonly problems: readonly string[];

  public constructor(problems: readonly string[]) {
    super(`Invalid action bindings:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidBindingsError';
    this.problems = problems;
  }
}

/** The rules the bindings adapter was asked to write are not ones it may manage, or EventBridge refused them. */
export class BindingRulesError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BindingRulesError';
  }
}
