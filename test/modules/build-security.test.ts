/**
 * The module build reads nothing of the host: module code imports only npm packages from its build's own
 * node_modules and Node.js built-ins, never files by path, URLs or loader-changing import attributes; no
 * file outside that node_modules is bundled or quoted; and the esbuild service process does not inherit
 * the builder's credentials. Real esbuild-wasm, no network: the installer either has nothing to install or
 * is a stub that points at packages written here.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsbuildModuleBuilder, stopEsbuild } from '../../lambdas/modules/adapters/esbuild-builder';
import { NpmInstaller } from '../../lambdas/modules/adapters/npm-installer';
import { BuildFailedError } from '../../lambdas/modules/errors';

/** Text that only ever appears in files outside the build's node_modules. */
const OUTSIDE_SECRET = 'OUTSIDE-SECRET-7f3a';

let root: string;
/** A builder whose installer has nothing to install: the module's code is all there is. */
let noDependencies: EsbuildModuleBuilder;
/** A builder whose installer "installed" the packages written under `root/build/node_modules`. */
let withPackages: EsbuildModuleBuilder;

async function write(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** The message of the BuildFailedError that building `code` throws. */
async function refusal(builder: EsbuildModuleBuilder, code: string): Promise<string> {
  const error = await builder.build({ moduleName: 'probe', code, dependencies: [] }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(BuildFailedError);
  return (error as BuildFailedError).message;
}

/** Runs a built CommonJS artifact and returns its exports. */
function run(content: Buffer): unknown {
  const module = { exports: {} as unknown };
  const evaluate = new Function('module', 'exports', 'require', content.toString('utf8'));
  evaluate(module, module.exports, createRequire(import.meta.url));
  return module.exports;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'a0bridge-build-security-'));
  const build = join(root, 'build');
  const packages = join(build, 'node_modules');
  // A package whose entry requires its own files relatively, one level down and one up.
  await write(join(packages, 'fake-pkg', 'package.json'), '{"name":"fake-pkg","main":"lib/index.js"}');
  await write(
    join(packages, 'fake-pkg', 'lib', 'index.js'),
    "const helper = require('./helper');\nconst data = require('../data.json');\nmodule.exports = helper(data.answer);\n",
  );
  await write(join(packages, 'fake-pkg', 'lib', 'helper.js'), "module.exports = (n) => 'answer ' + n;\n");
  await write(join(packages, 'fake-pkg', 'data.json'), '{"answer":42}');
  await write(join(packages, 'fake-pkg', 'notes.txt'), 'package notes\n');

  // Outside the build's node_modules: a file, and a package in a node_modules above the build.
  await write(join(root, 'secret', 'index.js'), `module.exports = '${OUTSIDE_SECRET}';\n`);
  await write(
    join(root, 'node_modules', 'outside-pkg', 'index.js'),
    `module.exports = '${OUTSIDE_SECRET}';\n`,
  );
  // Packages that reach for them: by relative path, by bare name, and through symlinks.
  await write(
    join(packages, 'escaping-pkg', 'index.js'),
    "module.exports = require('../../../secret/index.js');\n",
  );
  await write(
    join(packages, 'requires-outside-pkg', 'index.js'),
    "module.exports = require('outside-pkg');\n",
  );
  await write(join(packages, 'absolute-pkg', 'index.js'), "module.exports = require('/etc/passwd');\n");
  await symlink(join(root, 'secret'), join(packages, 'linked-pkg'), 'dir');
  await write(join(packages, 'symlinked-file-pkg', 'index.js'), "module.exports = require('./leak.js');\n");
  await symlink(join(root, 'secret', 'index.js'), join(packages, 'symlinked-file-pkg', 'leak.js'));

  // Packages that ask for a loader other than JavaScript or JSON: by import attribute, and by extension.
  await write(
    join(packages, 'attributes-pkg', 'index.js'),
    'import notes from "./notes.txt" with { type: "text" };\nexport default notes;\n',
  );
  await write(join(packages, 'attributes-pkg', 'notes.txt'), 'package notes\n');
  await write(join(packages, 'loaders-pkg', 'index.js'), "module.exports = require('./notes.txt');\n");
  await write(join(packages, 'loaders-pkg', 'notes.txt'), 'module.exports = "parsed as JavaScript";\n');

  noDependencies = new EsbuildModuleBuilder(new NpmInstaller({ pacote: {}, root: join(root, 'installs') }));
  withPackages = new EsbuildModuleBuilder({ install: async () => build });
});

afterAll(async () => {
  await stopEsbuild();
  await rm(root, { recursive: true, force: true });
});

describe('module code imports only npm packages and Node.js built-ins', () => {
  it('refuses a JSON import of /etc/passwd, naming the import and quoting none of the file', async () => {
    const message = await refusal(
      noDependencies,
      'import users from "/etc/passwd" with { type: "json" };\nmodule.exports = users;\n',
    );

    expect(message).toContain('import "/etc/passwd" with { type: "json" } is refused');
    expect(message).toContain('modules may import only npm packages listed in their dependencies');
    expect(message).not.toContain('root:');
  });

  it('refuses a text import of /proc/self/environ, so no environment reaches an artifact', async () => {
    const message = await refusal(
      noDependencies,
      'import env from "/proc/self/environ" with { type: "text" };\nmodule.exports = env;\n',
    );

    expect(message).toContain('import "/proc/self/environ" with { type: "text" } is refused');
    expect(message).not.toMatch(/PATH=|AWS_/);
  });

  it('refuses a relative require that climbs out of the build', async () => {
    const message = await refusal(noDependencies, "module.exports = require('../../../etc/passwd');\n");

    expect(message).toContain('require("../../../etc/passwd") is refused');
    expect(message).not.toContain('root:');
  });

  it('refuses a relative require of a JavaScript file beside the build, bundling none of it', async () => {
    const message = await refusal(withPackages, "module.exports = require('../secret/index.js');\n");

    expect(message).toContain('require("../secret/index.js") is refused');
    expect(message).not.toContain(OUTSIDE_SECRET);
  });

  it('refuses a require of an absolute path', async () => {
    const message = await refusal(noDependencies, "module.exports = require('/etc/passwd');\n");

    expect(message).toContain('require("/etc/passwd") is refused');
    expect(message).not.toContain('root:');
  });

  it('refuses a dynamic import of an absolute path', async () => {
    const message = await refusal(noDependencies, "module.exports = () => import('/etc/hostname');\n");

    expect(message).toContain('import("/etc/hostname") is refused');
  });

  it('refuses a file: URL', async () => {
    const message = await refusal(noDependencies, "module.exports = require('file:///etc/passwd');\n");

    expect(message).toContain('require("file:///etc/passwd") is refused');
    expect(message).not.toContain('root:');
  });

  it('refuses import attributes, even on an installed package', async () => {
    const text = await refusal(
      withPackages,
      'import notes from "fake-pkg/notes.txt" with { type: "text" };\nmodule.exports = notes;\n',
    );
    const json = await refusal(
      withPackages,
      'import data from "fake-pkg/data.json" with { type: "json" };\nmodule.exports = data;\n',
    );

    expect(text).toContain('import "fake-pkg/notes.txt" with { type: "text" } is refused');
    expect(json).toContain('import "fake-pkg/data.json" with { type: "json" } is refused');
  });

  it('still refuses requiring another module', async () => {
    const message = await refusal(noDependencies, "module.exports = require('actions:other');\n");

    expect(message).toContain("Modules cannot require other modules (require('actions:other'))");
  });

  it("leaves an action's pinned modules as requires, and refuses any other", async () => {
    const code = "module.exports = require('actions:pinned');\n";
    const built = await noDependencies.build({
      moduleName: 'action',
      code,
      dependencies: [],
      actionModules: ['pinned'],
    });
    const other = await noDependencies
      .build({
        moduleName: 'action',
        code: "require('actions:other');\n",
        dependencies: [],
        actionModules: ['pinned'],
      })
      .catch((error: BuildFailedError) => error.message);

    expect(built.content.toString('utf8')).toContain('require("actions:pinned")');
    expect(other).toContain('require("actions:other") is refused: "other" is not one of the pinned modules');
  });
});

describe("packages stay inside the build's own node_modules", () => {
  it('refuses a bare name that only a node_modules above the build provides', async () => {
    const message = await refusal(withPackages, "module.exports = require('outside-pkg');\n");

    expect(message).toContain('probe.js:1:26: The import "outside-pkg" is refused');
    expect(message).not.toContain(OUTSIDE_SECRET);
  });

  it("refuses a package's bare import that only a node_modules above the build provides", async () => {
    const message = await refusal(withPackages, "module.exports = require('requires-outside-pkg');\n");

    expect(message).toContain(
      'node_modules/requires-outside-pkg/index.js:1:26: The import "outside-pkg" is refused',
    );
    expect(message).not.toContain(OUTSIDE_SECRET);
  });

  it("refuses a package's relative require that leaves node_modules", async () => {
    const message = await refusal(withPackages, "module.exports = require('escaping-pkg');\n");

    expect(message).toContain(
      'node_modules/escaping-pkg/index.js:1:26: The import "../../../secret/index.js" is refused',
    );
    expect(message).not.toContain(OUTSIDE_SECRET);
  });

  it("refuses a package's require of an absolute path", async () => {
    const message = await refusal(withPackages, "module.exports = require('absolute-pkg');\n");

    expect(message).toContain('node_modules/absolute-pkg/index.js:1:26: require("/etc/passwd") is refused');
    expect(message).not.toContain('root:');
  });

  it('refuses a package that is a symlink to a directory outside node_modules', async () => {
    const message = await refusal(withPackages, "module.exports = require('linked-pkg');\n");

    expect(message).toContain('The import "linked-pkg" is refused');
    expect(message).not.toContain(OUTSIDE_SECRET);
  });

  it("refuses a package's file that is a symlink to a file outside node_modules", async () => {
    const message = await refusal(withPackages, "module.exports = require('symlinked-file-pkg');\n");

    expect(message).toContain('The import "./leak.js" is refused');
    expect(message).not.toContain(OUTSIDE_SECRET);
  });

  it("refuses a package's own import attributes other than JSON", async () => {
    const message = await refusal(withPackages, "module.exports = require('attributes-pkg');\n");

    expect(message).toContain('import "./notes.txt" with { type: "text" } is refused');
  });

  it("loads a package's .txt file as JavaScript, never with esbuild's text loader", async () => {
    const built = await withPackages.build({
      moduleName: 'uses-loaders-pkg',
      code: "module.exports = require('loaders-pkg');\n",
      dependencies: [],
    });

    expect(run(built.content)).toBe('parsed as JavaScript');
  });

  it('bundles a package with its internal relative requires, and Node.js built-ins stay external', async () => {
    const built = await withPackages.build({
      moduleName: 'uses-fake-pkg',
      code: "const { sep } = require('node:path');\nconst os = require('os');\nmodule.exports = { answer: require('fake-pkg'), sep, eol: os.EOL };\n",
      dependencies: [],
    });
    const text = built.content.toString('utf8');

    expect(run(built.content)).toEqual({ answer: 'answer 42', sep: '/', eol: '\n' });
    expect(text).toContain('require("node:path")');
    expect(text).toContain('require("os")');
    expect(text).toContain('// node_modules/fake-pkg/lib/helper.js');
  });

  it('builds a module without dependencies', async () => {
    const built = await noDependencies.build({
      moduleName: 'plain',
      code: 'module.exports = { twice: (n) => n * 2 };\n',
      dependencies: [],
    });

    expect((run(built.content) as { twice: (n: number) => number }).twice(21)).toBe(42);
  });
});

describe.skipIf(process.platform !== 'linux')("the esbuild service's environment", () => {
  const planted = {
    AWS_ACCESS_KEY_ID: 'AKIA-BUILD-SECURITY-CANARY',
    AWS_SECRET_ACCESS_KEY: 'secret-build-security-canary',
    AWS_SESSION_TOKEN: 'token-build-security-canary',
    A0BRIDGE_TEST_SECRET: 'other-build-security-canary',
  };
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // A fresh service, started while the process holds credentials.
    await stopEsbuild();
    for (const [name, value] of Object.entries(planted)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  /** The environment of each esbuild service process this process started, read from /proc. */
  async function serviceEnvironments(): Promise<Array<Record<string, string>>> {
    const environments: Array<Record<string, string>> = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
        if (parent !== process.pid || !cmdline.includes('--service=')) continue;
        const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
        const entries = environ.split('\0').filter(Boolean);
        environments.push(
          Object.fromEntries(
            entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
          ),
        );
      } catch {
        // The process ended while we looked.
      }
    }
    return environments;
  }

  it('starts the esbuild service without AWS credentials or other secrets', async () => {
    await noDependencies.build({ moduleName: 'env-probe', code: 'module.exports = 1;\n', dependencies: [] });
    const environments = await serviceEnvironments();

    expect(environments).toHaveLength(1);
    const environment = environments[0] as Record<string, string>;
    expect(environment.PATH).toBe(process.env.PATH);
    expect(Object.keys(environment).filter((name) => name.startsWith('AWS_'))).toEqual([]);
    expect(Object.values(environment).join('\n')).not.toContain('build-security-canary');
    expect(
      Object.keys(environment).filter(
        (name) => !/^(PATH|LD_LIBRARY_PATH|HOME|TMPDIR|TMP|TEMP|LANG|LC_ALL|TZ)$/.test(name),
      ),
    ).toEqual([]);
  });
});
