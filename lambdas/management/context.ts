import type { ActionRegistry } from '../actions/registry';
import type { ModuleRegistry } from '../modules/registry';

/** What the routes of the management API call: the modules registry, and the actions registry when served. */
export interface ManagementContext {
  readonly modules: ModuleRegistry;
  readonly actions?: ActionRegistry;
}
