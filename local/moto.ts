import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A running moto_server this process started, on a loopback port of its own. */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export class EmulatorNotFoundError extends Error {
  public constructor() {
    super(
      [
        'moto_server was not found on PATH. Install the local AWS emulator with:',
        '  pip install "moto[server]"',
        'or start another emulator (moto, LocalStack) yourself and pass --aws-endpoint <url>',
        '(or set AWS_ENDPOINT_URL) so that none is started.',
      ].join('\n'),
    );
    this.name = 'EmulatorNotFoundError';
  }
}

export function isMotoInstalled(command = 'moto_server'): boolean {
  return spawnSync(command, ['--help'], { stdio: 'ignore' }).status === 0;
}

const LAUNCHER = fileURLToPath(new URL('./moto-launcher.py', import.meta.url));

/**
 * Endpoints of the moto servers this process runs through `moto-launcher.py`, which applies each DynamoDB
 * request atomically, as DynamoDB does (plain moto_server does not: see local/serializing-proxy.ts).
 */
const atomicDynamoDbEndpoints = new Set<string>();

/** Whether `endpoint` is a moto this process started that applies each DynamoDB request atomically. */
export function appliesDynamoDbAtomically(endpoint: string): boolean {
  return atomicDynamoDbEndpoints.has(originOf(endpoint));
}

function originOf(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return endpoint;
  }
}

/**
 * How to start moto: through `moto-launcher.py` (moto_server with keep-alive connections, a parser cache that
 * makes rule delivery about 25 times faster, atomic DynamoDB requests and PartiQL INSERT; see the file) when
 * python3 can import moto, else the plain `moto_server` command.
 */
function motoCommand(command?: string): [string, string[]] | undefined {
  if (command) return isMotoInstalled(command) ? [command, []] : undefined;
  const canLaunch = spawnSync('python3', ['-c', 'import moto.server, jsonpath_ng.ext'], { stdio: 'ignore' });
  if (canLaunch.status === 0) return ['python3', [LAUNCHER]];
  return isMotoInstalled() ? ['moto_server', []] : undefined;
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts moto_server on a free loopback port and waits until it answers. The child is killed when `stop()`
 * is called and, as a last resort, when this process exits.
 */
export async function startMoto(
  options: { command?: string; readyTimeoutMs?: number } = {},
): Promise<MotoServer> {
  const found = motoCommand(options.command);
  if (!found) throw new EmulatorNotFoundError();
  const [command, prefix] = found;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(command, [...prefix, '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    const endpoint = `http://127.0.0.1:${port}`;
    const ready = await waitUntilReady(endpoint, child, options.readyTimeoutMs ?? 30_000);
    if (ready) {
      if (prefix[0] === LAUNCHER) atomicDynamoDbEndpoints.add(originOf(endpoint));
      return {
        endpoint,
        port,
        stop: async () => {
          atomicDynamoDbEndpoints.delete(originOf(endpoint));
          process.removeListener('exit', killOnExit);
          await stopChild(child);
        },
      };
    }
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    // The port may have been taken between choosing it and binding it; try another.
    if (attempt >= 3) throw new Error(`moto_server did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
  }
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Environment that points the AWS SDK at an emulator with dummy credentials. */
export function emulatorEnvironment(endpoint: string, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
  };
}
