/** The message for a Node.js `version` outside the semver `range`, or undefined when it is inside. */
export function nodeVersionProblem(version: string, range: string): string | undefined;
