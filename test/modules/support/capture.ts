import { vi } from 'vitest';

/**
 * Captures everything the process writes (stdout, stderr, console) while a test file runs, so it can be
 * scanned for secret values. Powertools' logger writes to process.stdout through its own Console.
 */
export function captureOutput() {
  const lines: string[] = [];
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }),
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      }),
    ),
  ];
  return {
    lines,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** Every place where one of `secrets` occurs in `haystacks`, as `secret #i in text #j`. */
export function findLeaks(haystacks: readonly string[], secrets: readonly string[]): string[] {
  const hits: string[] = [];
  haystacks.forEach((text, j) => {
    secrets.forEach((secret, i) => {
      if (secret.length > 0 && text.includes(secret)) hits.push(`secret #${i} in text #${j}`);
    });
  });
  return hits;
}
