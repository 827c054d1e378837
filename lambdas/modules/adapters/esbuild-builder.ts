/**
 * Builds a module version into one CommonJS file: the module code with its pinned npm dependencies bundled
 * by esbuild-wasm (the same code runs in Lambda on any architecture, without a native binary). Secret values
 * are never bundled: the code reads them as `actions.secrets.NAME`, which the runner provides at run time.
 */
import { createHash } from 'node:crypto';
import * as esbuild from 'esbuild-wasm';
import { BuildFailedError } from '../errors';
import type { BuildInput, BuildOutput, ModuleBuilder } from '../ports';
import type { NpmInstaller } from './npm-installer';

export interface EsbuildBuilderOptions {
  /** The Node.js version the runner uses, for syntax lowering. */
  readonly target?: string;
}

export class EsbuildModuleBuilder implements ModuleBuilder {
  public constructor(
    private readonly installer: NpmInstaller,
    private readonly options: EsbuildBuilderOptions = {},
  ) {}

  public async build(input: BuildInput): Promise<BuildOutput> {
    const dir = await this.installer.install(input.dependencies);
    let result: esbuild.BuildResult<{ write: false }>;
    try {
      result = await esbuild.build({
        stdin: { contents: input.code, resolveDir: dir, sourcefile: `${input.moduleName}.js`, loader: 'js' },
        // Paths in the output are relative to this directory, so equal inputs give equal bytes.
        absWorkingDir: dir,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: this.options.target ?? 'node22',
        write: false,
        logLevel: 'silent',
        charset: 'utf8',
        legalComments: 'inline',
        plugins: [refuseOtherModules],
      });
    } catch (error) {
      throw new BuildFailedError(describeBuildFailure(error), { cause: error });
    }
    const output = result.outputFiles[0];
    if (!output) throw new BuildFailedError('esbuild produced no output.');
    const content = Buffer.from(output.contents);
    return { content, sha256: createHash('sha256').update(content).digest('hex') };
  }
}

/** Stops esbuild's service process (tests and scripts; a Lambda keeps it for the next build). */
export function stopEsbuild(): Promise<void> {
  return Promise.resolve(esbuild.stop());
}

/** Auth0: modules cannot require other modules. */
const refuseOtherModules: esbuild.Plugin = {
  name: 'a0bridge-refuse-other-modules',
  setup(build) {
    build.onResolve({ filter: /^actions:/ }, ({ path }) => ({
      errors: [{ text: `Modules cannot require other modules (require('${path}')).` }],
    }));
  },
};

function describeBuildFailure(error: unknown): string {
  const failure = error as Partial<esbuild.BuildFailure>;
  if (!Array.isArray(failure.errors) || failure.errors.length === 0) {
    return error instanceof Error ? error.message : String(error);
  }
  const lines = failure.errors.slice(0, 5).map(({ text, location }) => {
    const where = location ? `${location.file}:${location.line}:${location.column + 1}: ` : '';
    const hint = /^Could not resolve "/.test(text)
      ? " (add the package to the module's dependencies, or check the name)"
      : '';
    return `${where}${text}${hint}`;
  });
  const more = failure.errors.length > 5 ? ` (and ${failure.errors.length - 5} more errors)` : '';
  return `${lines.join('; ')}${more}`.slice(0, 2000);
}
