import { createServer, type Server } from 'node:http';
import { type FunctionUrlHandler, serveFunctionUrl } from './function-url';

export interface LocalFunctions {
  /** Serves every path outside `/api/v2/`: the Custom Webhook target. */
  readonly ingest: FunctionUrlHandler;
  /** Serves `/api/v2/…`: the Action Modules management API. */
  readonly management?: FunctionUrlHandler;
}

/** One loopback HTTP server in front of the same handlers Lambda runs, with Function URL semantics. */
export function createLocalServer(functions: LocalFunctions, onRequest?: (line: string) => void): Server {
  return createServer((request, response) => {
    const started = performance.now();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const management = path === '/api/v2' || path.startsWith('/api/v2/');
    const target = management ? functions.management : functions.ingest;
    response.on('finish', () =>
      onRequest?.(
        `${request.method} ${path} -> ${response.statusCode} (${Math.round(performance.now() - started)} ms)`,
      ),
    );
    if (!target) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `Nothing is served at ${path}` }));
      return;
    }
    void serveFunctionUrl(target, management ? 'management' : 'ingest', request, response);
  });
}

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
