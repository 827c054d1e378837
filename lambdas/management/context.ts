import type { ActionRegistry } from '../actions/registry';
import type { ModuleRegistry } from '../modules/registry';
import type { BridgeOperations } from '../operations/operations';

/**
 * What the routes of the management API call: the modules registry, the actions registry when served, and the
 * operator's tools (quarantine, replay, status) when served.
 */
export interface ManagementContext {
  readonly modules: ModuleRegistry;
  readonly actions?: ActionRegistry;
  readonly operations?: BridgeOperations;
}
