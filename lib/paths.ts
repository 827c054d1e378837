import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: where package-lock.json and lambdas/ live, whatever the working directory. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const projectPath = (...segments: string[]): string => join(PROJECT_ROOT, ...segments);
