/**
 * Assembles an action and the module versions it pins into one CommonJS file, addressed by its SHA-256.
 * The file exports `load({ moduleSecrets })`, which runs the action's top-level code and returns its
 * exports. Inside, `require('actions:<name>')` returns the pinned module, instantiated once per load in a
 * factory whose free `actions` is `{ secrets }` with that module's own values only; any other `require`
 * is Node's. Secret values are never in the file: they arrive with each `load`.
 *
 * Scoping, not a sandbox: the action and its modules share one JavaScript realm, as they do in Auth0. The
 * runtime captures the built-ins it uses before any of that code runs, so that patching a prototype does
 * not hand one module another's `actions.secrets`; the process boundary (see local-process.ts) is what
 * keeps credentials and other actions out of reach.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { runInThisContext } from 'node:vm';

export interface ActionBundleInput {
  readonly action: {
    /** CommonJS text built by esbuild; `require('actions:<name>')` calls are left as plain requires. */
    readonly code: string;
  };
  readonly modules: ReadonlyArray<{
    /** The name the action requires it by: `require('actions:<name>')`. */
    readonly name: string;
    /** CommonJS text of one published module version; it reads the free variable `actions.secrets`. */
    readonly code: string;
  }>;
}

export interface ActionBundle {
  readonly content: Buffer;
  /** Hex SHA-256 of `content`. */
  readonly sha256: string;
}

/** What the bundle's `load` receives: each pinned module's secret values, by module name. */
export interface ActionLoadContext {
  readonly moduleSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface LoadedActionBundle {
  /** Runs the action's top-level code (and, lazily, its modules') and returns the action's exports. */
  load(context: ActionLoadContext): Record<string, unknown>;
}

/** The action or a module is not code that can be assembled. */
export class BundleAssemblyError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BundleAssemblyError';
  }
}

const MODULE_PARAMETERS = ['module', 'exports', 'require', 'actions'] as const;
const ACTION_PARAMETERS = ['module', 'exports', 'require'] as const;
/** The same rule the registry applies to module names, so a name is always a plain specifier. */
const MODULE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Pure and deterministic: the same action and modules, in any order, give the same bytes. Each piece of
 * code must parse on its own as a function body, so that none can close its factory early and run at the
 * top level of the bundle, where it could reach the other modules' factories or `load`.
 */
export function assembleActionBundle(input: ActionBundleInput): ActionBundle {
  const modules = [...input.modules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const [index, module] of modules.entries()) {
    if (typeof module.name !== 'string' || !MODULE_NAME.test(module.name)) {
      throw new BundleAssemblyError(
        `A pinned module's name must start with a lowercase letter or digit and contain only lowercase letters, digits, underscores and hyphens, got ${JSON.stringify(module.name)}.`,
      );
    }
    if (modules[index + 1]?.name === module.name) {
      throw new BundleAssemblyError(
        `The module ${JSON.stringify(module.name)} is pinned twice; an action pins one version of each module.`,
      );
    }
  }
  const factories = modules.map(
    (module) =>
      `${JSON.stringify(module.name)}: function (${MODULE_PARAMETERS.join(', ')}) {\n${asFunctionBody(module.code, `the module ${JSON.stringify(module.name)}`, MODULE_PARAMETERS)}\n}`,
  );
  const pinned = modules.map((module) => module.name).join(', ') || '(none)';
  const text = [
    '// Action bundle: one action and the Action Module versions it pins. Secret values are not in this file.',
    `module.exports = (${RUNTIME_SOURCE})(${JSON.stringify(pinned)}, {`,
    ...factories.map((factory) => `${factory},`),
    `}, function (${ACTION_PARAMETERS.join(', ')}) {`,
    asFunctionBody(input.action.code, 'the action', ACTION_PARAMETERS),
    '});',
    '',
  ].join('\n');
  const content = Buffer.from(text, 'utf8');
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}

/**
 * Evaluates a bundle's text as CommonJS, whatever the file is named and whatever `package.json` says
 * about `.js` files nearby. Its own `require` is Node's, relative to `filename`.
 */
export function evaluateActionBundle(content: string | Buffer, filename: string): LoadedActionBundle {
  const wrapper = runInThisContext(
    `(function (module, exports, require, __filename, __dirname) {\n${content.toString()}\n})`,
    { filename },
  ) as (module: unknown, exports: unknown, require: NodeJS.Require, file: string, dir: string) => void;
  const module: { exports: unknown } = { exports: {} };
  wrapper(module, module.exports, createRequire(filename), filename, dirname(filename));
  const loaded = module.exports as Partial<LoadedActionBundle> | undefined;
  if (typeof loaded?.load !== 'function') {
    throw new BundleAssemblyError(`${filename} is not an action bundle: it does not export load().`);
  }
  return loaded as LoadedActionBundle;
}

function asFunctionBody(code: unknown, what: string, parameters: readonly string[]): string {
  if (typeof code !== 'string') {
    throw new BundleAssemblyError(`The code of ${what} must be a string of CommonJS, got ${typeof code}.`);
  }
  // A hashbang is legal only at the very start of a file; inside the factory it becomes a comment.
  const body = code.startsWith('#!') ? `//${code.slice(2)}` : code;
  try {
    // Compiled, never called: V8 parses the body apart from the parameters, so `}` cannot escape it.
    new Function(...parameters, body);
  } catch (error) {
    throw new BundleAssemblyError(
      `The code of ${what} is not valid CommonJS: ${error instanceof Error ? error.message : String(error)}.`,
      { cause: error },
    );
  }
  return body;
}

/**
 * The bundle's runtime, as source text. It runs when the bundle is evaluated, before any action or module
 * code, and keeps its own references to the built-ins it needs.
 */
const RUNTIME_SOURCE = `function (pinned, factories, action) {
  'use strict';
  var freeze = Object.freeze;
  var keys = Object.keys;
  var hasOwn = Object.hasOwn;
  var defineProperty = Object.defineProperty;
  var apply = Reflect.apply;
  var toString = String;
  var NodeError = Error;
  var nodeRequire = require;
  var PREFIX = 'actions:';

  function isActionsSpecifier(specifier) {
    if (typeof specifier !== 'string' || specifier.length < PREFIX.length) return false;
    for (var i = 0; i < PREFIX.length; i++) if (specifier[i] !== PREFIX[i]) return false;
    return true;
  }

  function fail(name, message) {
    var error = new NodeError(message);
    defineProperty(error, 'name', { __proto__: null, value: name, writable: true, configurable: true });
    return error;
  }

  function ownSecrets(values) {
    var copy = {};
    if (values !== null && typeof values === 'object') {
      var names = keys(values);
      for (var i = 0; i < names.length; i++) {
        defineProperty(copy, names[i], { __proto__: null, value: toString(values[names[i]]), enumerable: true });
      }
    }
    return freeze(copy);
  }

  function moduleRequire(specifier) {
    if (isActionsSpecifier(specifier)) {
      throw fail('ActionModuleRequireError', "Action Modules cannot require other modules (require('" + specifier + "')).");
    }
    return nodeRequire(specifier);
  }

  function load(context) {
    var given = context !== null && typeof context === 'object' && context.moduleSecrets;
    var instances = {};
    function actionRequire(specifier) {
      if (!isActionsSpecifier(specifier)) return nodeRequire(specifier);
      var name = '';
      for (var i = PREFIX.length; i < specifier.length; i++) name += specifier[i];
      if (!hasOwn(factories, name)) {
        throw fail(
          'ActionModuleNotPinnedError',
          "require('" + specifier + "'): this action does not pin a module named '" + name + "'. Pinned modules: " + pinned + '.',
        );
      }
      if (hasOwn(instances, name)) return instances[name].exports;
      var instance = { exports: {} };
      var secrets = given && hasOwn(given, name) ? given[name] : undefined;
      // \`this\` is module.exports at the top level of CommonJS.
      apply(factories[name], instance.exports, [instance, instance.exports, moduleRequire, freeze({ secrets: ownSecrets(secrets) })]);
      // Kept once its code has run to the end; a module whose top-level code threw runs again next time.
      defineProperty(instances, name, { __proto__: null, value: instance, enumerable: true });
      return instance.exports;
    }
    var main = { exports: {} };
    apply(action, main.exports, [main, main.exports, actionRequire]);
    return main.exports;
  }

  return freeze({ load: load });
}`;
