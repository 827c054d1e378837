import { Readable } from 'node:stream';
import type { CliIo } from '../../../cli/io';
import { main } from '../../../cli/main';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What the CLI asked on the terminal. */
  readonly prompts: readonly string[];
}

export interface CliInput {
  readonly stdin?: string;
  /** Run as from a terminal (secret values come from the hidden prompt). @default true when `prompt` is given */
  readonly tty?: boolean;
  /** The answer to a hidden prompt. */
  readonly prompt?: string;
  /** The answer to a confirmation. @default true */
  readonly confirm?: boolean;
  readonly env?: Record<string, string | undefined>;
}

/** `a0bridge <args>` in-process, with only the environment given (none of the test process's). */
export async function runCli(args: string[], input: CliInput = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const prompts: string[] = [];
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
    stdin: Readable.from(input.stdin === undefined ? [] : [Buffer.from(input.stdin)]),
    stdinIsTty: input.tty ?? input.prompt !== undefined,
    env: input.env ?? {},
    promptHidden: async (question) => {
      prompts.push(question);
      return input.prompt ?? '';
    },
    confirm: async () => input.confirm ?? true,
  };
  const code = await main(args, io);
  return { code, stdout, stderr, prompts };
}
