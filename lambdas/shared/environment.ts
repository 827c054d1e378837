/**
 * What a process this project starts to run code it did not write (esbuild's service, an action's child)
 * may inherit of the environment: the basics a program needs, and nothing else (no AWS_* credentials,
 * Lambda variables, tokens or NODE_OPTIONS). One list, so the two cannot drift apart.
 */
export const BASIC_ENVIRONMENT: readonly string[] = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LC_ALL',
  'TZ',
];

/** The allowed variables of `env` that are set, and only those. */
export function scrubbedEnvironment(
  allowed: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of allowed) {
    const value = env[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}
