import { Readable } from 'node:stream';
import type { CliIo } from '../../../cli/io';
import { main } from '../../../cli/main';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `a0bridge <args>` in-process, with only the environment given (none of the test process's). */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (chunk: string) => {
        stdout += chunk;
        return true;
      },
    },
    stderr: {
      write: (chunk: string) => {
        stderr += chunk;
        return true;
      },
    },
    stdin: Readable.from([]),
    stdinIsTty: false,
    env,
    promptHidden: async () => '',
    confirm: async () => true,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
