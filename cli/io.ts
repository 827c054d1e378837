import type { Readable, Writable } from 'node:stream';

/** The CLI's view of the terminal, so tests can drive it in-process. */
export interface CliIo {
  readonly stdout: Pick<Writable, 'write'>;
  readonly stderr: Pick<Writable, 'write'>;
  readonly stdin: Readable;
  /** Whether stdin is a terminal: then secret values are prompted for, without echo. */
  readonly stdinIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Asks for a value on the terminal without echoing it. */
  readonly promptHidden: (question: string) => Promise<string>;
  /** Asks a yes/no question on the terminal. */
  readonly confirm: (question: string) => Promise<boolean>;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdinIsTty: Boolean(process.stdin.isTTY),
    env: process.env,
    promptHidden: (question) => promptHidden(question),
    confirm: async (question) => /^y(es)?$/i.test((await promptLine(question)).trim()),
  };
}

/** Reads all of stdin as UTF-8. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** A line from the terminal, echoed. */
function promptLine(question: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    process.stdin.setEncoding('utf8');
    const onData = (data: string) => {
      process.stdin.off('data', onData);
      process.stdin.pause();
      resolve(data.replace(/\r?\n$/, ''));
    };
    process.stdin.on('data', onData);
    process.stdin.resume();
  });
}

/** A line from the terminal in raw mode, echoing nothing; Ctrl-C aborts. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode?.(true);
    stdin.setEncoding('utf8');
    let value = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (data: string) => {
      for (const char of data) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new Error('Cancelled.'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
