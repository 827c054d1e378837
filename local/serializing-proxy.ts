import { createServer } from 'node:http';
import { listen } from './server';

/**
 * A loopback HTTP proxy that forwards requests to an emulator one at a time.
 *
 * Why: moto_server runs each request on its own thread without locking, so two conditional writes (or
 * transactions) on one item can both pass their condition, and a cancelled transaction restores a snapshot
 * of the whole table over writes that finished meanwhile (measured with moto 5.2.1: 20 racing conditional
 * updates of one counter produced a duplicate in 2 of 15 rounds). DynamoDB itself applies each write and
 * transaction atomically. Point only DynamoDB at this proxy (`AWS_ENDPOINT_URL_DYNAMODB`) so the registry's
 * conditional writes behave locally as they do in AWS.
 */
export async function startSerializingProxy(
  target: string,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name))
          headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      const forward = async () => {
        try {
          const upstream = await fetch(`${target}${request.url ?? '/'}`, {
            method: request.method ?? 'POST',
            headers,
            ...(body.length > 0 ? { body } : {}),
          });
          const payload = Buffer.from(await upstream.arrayBuffer());
          const out: Record<string, string> = {};
          upstream.headers.forEach((value, name) => {
            if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') out[name] = value;
          });
          out['content-length'] = String(payload.length);
          response.writeHead(upstream.status, out);
          response.end(payload);
        } catch (error) {
          response.writeHead(502, { 'content-type': 'text/plain' });
          response.end(`emulator proxy: ${(error as Error).message}`);
        }
      };
      queue = queue.then(forward, forward);
    });
  });
  const port = await listen(server, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'host',
  'content-length',
]);
