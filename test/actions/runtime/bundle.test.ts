import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ActionBundleInput,
  assembleActionBundle,
  BundleAssemblyError,
  evaluateActionBundle,
} from '../../../lambdas/actions/runtime/bundle';

const FILENAME = join(tmpdir(), 'action-bundle-test.js');

/** The logger module of Auth0's "Write your first Action Module", minus the network. */
const LOGGER = `
module.exports = {
  sendLog: async (code, message) => ({ url: actions.secrets.SERVICE_URL, key: actions.secrets.API_KEY, code, message }),
  secretsSeen: () => actions.secrets,
};`;

const ACTION = `
const logger = require('actions:logger');
exports.onExecuteAuth0Log = async (event) => logger.sendLog('logger_success', event.message);
exports.logger = logger;`;

function load(input: ActionBundleInput, moduleSecrets: Record<string, Record<string, string>> = {}) {
  const bundle = assembleActionBundle(input);
  return evaluateActionBundle(bundle.content, FILENAME).load({ moduleSecrets });
}

describe('assembleActionBundle', () => {
  it("resolves require('actions:logger') to the pinned module, which reads its own actions.secrets", async () => {
    // GIVEN an action that requires the logger module, pinned with its secrets
    const exports = load(
      { action: { code: ACTION }, modules: [{ name: 'logger', code: LOGGER }] },
      { logger: { SERVICE_URL: 'https://logs.example.com/ingest', API_KEY: 'logger-key-1' } },
    );

    // WHEN the handler calls the module
    const sent = await (exports.onExecuteAuth0Log as (event: object) => Promise<unknown>)({
      message: 'hello',
    });

    // THEN the module ran with its own secret values
    expect(sent).toEqual({
      url: 'https://logs.example.com/ingest',
      key: 'logger-key-1',
      code: 'logger_success',
      message: 'hello',
    });
  });

  it("gives each module only its own secrets, frozen, and none of the other modules'", () => {
    // GIVEN two modules with secrets of their own, and one with none
    const secretsOf = 'module.exports = () => actions.secrets;';
    const exports = load(
      {
        action: {
          code: `
            exports.a = require('actions:alpha')();
            exports.b = require('actions:bravo')();
            exports.c = require('actions:charlie')();
            exports.globalActions = typeof globalThis.actions;`,
        },
        modules: [
          { name: 'alpha', code: secretsOf },
          { name: 'bravo', code: secretsOf },
          { name: 'charlie', code: secretsOf },
        ],
      },
      { alpha: { TOKEN: 'alpha-token' }, bravo: { TOKEN: 'bravo-token', URL: 'https://b.example' } },
    );

    // THEN each sees exactly its own values, cannot change them, and nothing leaks into the global scope
    expect(exports.a).toEqual({ TOKEN: 'alpha-token' });
    expect(exports.b).toEqual({ TOKEN: 'bravo-token', URL: 'https://b.example' });
    expect(exports.c).toEqual({});
    expect(Object.isFrozen(exports.a)).toBe(true);
    expect(exports.globalActions).toBe('undefined');
  });

  it('instantiates a module lazily, once per load, and afresh in the next load', () => {
    // GIVEN a module that counts its instantiations in a global, and an action that requires it twice
    const counter = '__actionBundleTestInstantiations';
    const bundle = assembleActionBundle({
      action: {
        code: `
          exports.before = globalThis.${counter} ?? 0;
          exports.same = require('actions:counted') === require('actions:counted');
          exports.after = globalThis.${counter};`,
      },
      modules: [
        {
          name: 'counted',
          code: `globalThis.${counter} = (globalThis.${counter} ?? 0) + 1; module.exports = {};`,
        },
      ],
    });
    const loaded = evaluateActionBundle(bundle.content, FILENAME);

    try {
      // WHEN it is loaded twice
      const first = loaded.load({ moduleSecrets: {} });
      const second = loaded.load({ moduleSecrets: {} });

      // THEN the module ran only when required, once per load
      expect(first).toEqual({ before: 0, same: true, after: 1 });
      expect(second).toEqual({ before: 1, same: true, after: 2 });
    } finally {
      delete (globalThis as Record<string, unknown>)[counter];
    }
  });

  it('refuses an actions: require for a module the action does not pin, naming the pinned ones', () => {
    // GIVEN an action that requires a module it does not pin
    const input = {
      action: { code: "require('actions:x');" },
      modules: [{ name: 'logger', code: LOGGER }],
    };

    // THEN loading it fails with a message naming the module and the pinned ones
    expect(() => load(input)).toThrow(
      "require('actions:x'): this action does not pin a module named 'x'. Pinned modules: logger.",
    );
    try {
      load(input);
    } catch (error) {
      expect((error as Error).name).toBe('ActionModuleNotPinnedError');
    }
  });

  it('lets a module require Node built-ins but not another module', () => {
    const exports = load({
      action: {
        code: `
          exports.hash = require('actions:hasher')('abc');
          try { require('actions:greedy'); } catch (error) { exports.refusal = error.message; }`,
      },
      modules: [
        {
          name: 'hasher',
          code: "const { createHash } = require('node:crypto'); module.exports = (s) => createHash('sha256').update(s).digest('hex');",
        },
        { name: 'greedy', code: "module.exports = require('actions:hasher');" },
      ],
    });

    expect(exports.hash).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(exports.refusal).toBe("Action Modules cannot require other modules (require('actions:hasher')).");
  });

  it('gives the same bytes and hash for the same input, whatever the order of the modules', () => {
    const a = { name: 'alpha', code: 'module.exports = 1;' };
    const b = { name: 'bravo', code: 'module.exports = 2;' };

    const first = assembleActionBundle({ action: { code: ACTION }, modules: [a, b] });
    const second = assembleActionBundle({ action: { code: ACTION }, modules: [b, a] });
    const changed = assembleActionBundle({
      action: { code: ACTION },
      modules: [a, { ...b, code: 'module.exports = 3;' }],
    });

    expect(second.content.equals(first.content)).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(changed.sha256).not.toBe(first.sha256);
  });

  it('refuses code that would close its factory and run at the top level of the bundle', () => {
    // A module that tries to escape its function to reach the other factories and load()
    const breakout = '}, "evil": function () {';

    expect(() =>
      assembleActionBundle({ action: { code: ACTION }, modules: [{ name: 'evil', code: breakout }] }),
    ).toThrow(BundleAssemblyError);
    expect(() => assembleActionBundle({ action: { code: '});(function(){' }, modules: [] })).toThrow(
      'The code of the action is not valid CommonJS',
    );
  });

  it('refuses a module pinned twice and a name that is not a plain specifier', () => {
    const logger = { name: 'logger', code: LOGGER };

    expect(() => assembleActionBundle({ action: { code: ACTION }, modules: [logger, logger] })).toThrow(
      'The module "logger" is pinned twice',
    );
    expect(() =>
      assembleActionBundle({ action: { code: ACTION }, modules: [{ name: "x': y", code: LOGGER }] }),
    ).toThrow('got "x\': y"');
  });

  it('never puts a secret value in the file', () => {
    const bundle = assembleActionBundle({
      action: { code: ACTION },
      modules: [{ name: 'logger', code: LOGGER }],
    });
    const exports = evaluateActionBundle(bundle.content, FILENAME).load({
      moduleSecrets: { logger: { API_KEY: 'never-in-the-file' } },
    });

    expect((exports.logger as { secretsSeen: () => unknown }).secretsSeen()).toEqual({
      API_KEY: 'never-in-the-file',
    });
    expect(bundle.content.toString()).not.toContain('never-in-the-file');
  });
});
