import type { ActionTrigger } from '../../shared/surfaces';
import { describeSchemaProblems } from '../schema-problems';
import {
  type ActionEventValidateFunction,
  credentialsExchange,
  customTokenExchange,
  passwordResetPostChallenge,
  postChangePassword,
  postLogin,
  postUserRegistration,
  preUserRegistration,
  sendPhoneMessage,
} from './validators.generated';

/** The most problems one event is reported with; the first few are enough to fix the sender. */
export const MAX_ACTION_EVENT_PROBLEMS = 10;

const VALIDATORS: Readonly<Record<ActionTrigger, ActionEventValidateFunction>> = {
  'post-login': postLogin,
  'credentials-exchange': credentialsExchange,
  'pre-user-registration': preUserRegistration,
  'post-user-registration': postUserRegistration,
  'post-change-password': postChangePassword,
  'send-phone-message': sendPhoneMessage,
  'password-reset-post-challenge': passwordResetPostChallenge,
  'custom-token-exchange': customTokenExchange,
};

/**
 * What is wrong with an Auth0 Actions `event` object for its trigger's schema, at most
 * MAX_ACTION_EVENT_PROBLEMS of them, or none. Each problem names the field by its path and says what was
 * expected (`user.email: must be a string`, `transaction.requested_scopes[0]: must be a string`), and never
 * quotes a value: events carry the tenant's secrets and users' personal data.
 */
export function validateActionEvent(trigger: ActionTrigger, event: unknown): string[] {
  const validate = VALIDATORS[trigger];
  if (validate(event)) return [];
  return describeSchemaProblems(event, validate.errors ?? [], '(event)', MAX_ACTION_EVENT_PROBLEMS);
}
