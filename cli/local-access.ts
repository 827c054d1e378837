/**
 * Where `npm start` leaves the local management API's endpoint and token, and the ingest URL and token, for
 * `a0bridge`: one file per port,
 * `.a0bridge/local-<port>.json` at the repository root, readable by its owner only and removed on stop. One
 * file per port, so that two local stacks (yours, and the one a test starts) never overwrite each other's.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The file exists but cannot be used; the CLI reports it like a usage error. */
export class LocalAccessError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'LocalAccessError';
  }
}

export interface LocalAccess {
  /** The local server's origin, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The bearer token the local management API requires. */
  readonly managementToken: string;
  /** The local ingest URL, `http://127.0.0.1:<port>/`, for `a0bridge auth0 connect`. Absent in older files. */
  readonly ingestUrl?: string;
  /** The ingest token of that stack, for `a0bridge auth0 connect`. Absent in older files. */
  readonly ingestToken?: string;
}

/** `<repository>/.a0bridge/`, wherever the command is run from (it is gitignored). */
export const LOCAL_ACCESS_DIR = fileURLToPath(new URL('../.a0bridge/', import.meta.url));

export function localAccessFile(port: number | string, dir = LOCAL_ACCESS_DIR): string {
  return join(dir, `local-${port}.json`);
}

/** Writes the file for `port` (mode 0600, in a 0700 directory), replacing it whole; returns its path. */
export async function writeLocalAccess(
  port: number,
  access: LocalAccess,
  dir = LOCAL_ACCESS_DIR,
): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = localAccessFile(port, dir);
  const temporary = `${file}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  // `wx` creates a new file, so the mode applies (writeFile keeps an existing file's mode).
  await writeFile(temporary, `${JSON.stringify(access, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temporary, file);
  return file;
}

/** The file for `port`, or undefined when there is none. */
export async function readLocalAccess(port: number | string, dir = LOCAL_ACCESS_DIR) {
  const file = localAccessFile(port, dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalAccessError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const access = parsed as Partial<LocalAccess> | undefined;
  if (
    typeof access?.managementToken !== 'string' ||
    typeof access.endpoint !== 'string' ||
    !['string', 'undefined'].includes(typeof access.ingestUrl) ||
    !['string', 'undefined'].includes(typeof access.ingestToken)
  ) {
    // Its content is not shown: it holds tokens.
    throw new LocalAccessError(
      `${file} is not what npm start writes ({endpoint, managementToken, ingestUrl, ingestToken}); delete it and restart npm start.`,
    );
  }
  return {
    file,
    endpoint: access.endpoint,
    managementToken: access.managementToken,
    ...(access.ingestUrl === undefined ? {} : { ingestUrl: access.ingestUrl }),
    ...(access.ingestToken === undefined ? {} : { ingestToken: access.ingestToken }),
  };
}

/** Removes the file for `port` if it still holds `token`: a later stack on the same port keeps its own. */
export async function removeLocalAccess(port: number, token: string, dir = LOCAL_ACCESS_DIR): Promise<void> {
  const current = await readLocalAccess(port, dir).catch(() => undefined);
  if (current?.managementToken === token) await rm(current.file, { force: true });
}
