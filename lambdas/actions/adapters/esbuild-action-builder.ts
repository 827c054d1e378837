import type { ModuleBuilder } from '../../modules/ports';
import type { ActionBuilder, ActionBuildInput } from '../ports';

/**
 * Actions build with the modules' builder and its rules (only npm packages from the build's own
 * node_modules and Node.js built-ins; nothing else on the host is read), except that the pinned modules'
 * `require('actions:<name>')` calls stay in the output for the bundle to resolve.
 */
export class EsbuildActionBuilder implements ActionBuilder {
  public constructor(private readonly builder: ModuleBuilder) {}

  public build(input: ActionBuildInput) {
    return this.builder.build({
      moduleName: input.name,
      code: input.code,
      dependencies: input.dependencies,
      actionModules: input.modules,
    });
  }
}
