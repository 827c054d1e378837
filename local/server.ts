import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import { isAuthorized } from '../lambdas/ingest/authorize';
import { type FunctionUrlHandler, serveFunctionUrl } from './function-url';

export interface LocalManagement {
  readonly handler: FunctionUrlHandler;
  /**
   * The bearer token every `/api/v2/…` request must carry. It stands in for the Function URL's `AWS_IAM`
   * auth: without it, any web page the browser visits could change modules and secrets on this machine.
   */
  readonly token: string;
}

export interface LocalFunctions {
  /** Serves every path outside `/api/v2/`: the Custom Webhook target. */
  readonly ingest: FunctionUrlHandler;
  /** Serves `/api/v2/…`: the Action Modules management API, to loopback callers with the token only. */
  readonly management?: LocalManagement;
}

/** One loopback HTTP server in front of the same handlers Lambda runs, with Function URL semantics. */
export function createLocalServer(functions: LocalFunctions, onRequest?: (line: string) => void): Server {
  if (functions.management && functions.management.token.trim().length === 0) {
    throw new Error('The management token is empty; the management API would accept no request.');
  }
  return createServer((request, response) => {
    const started = performance.now();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const isManagement = path === '/api/v2' || path.startsWith('/api/v2/');
    response.on('finish', () =>
      onRequest?.(
        `${request.method} ${path} -> ${response.statusCode} (${Math.round(performance.now() - started)} ms)`,
      ),
    );
    if (!isManagement) {
      // Not checked for Host: the ingest is reached through tunnels, under other host names.
      void serveFunctionUrl(functions.ingest, 'ingest', request, response);
      return;
    }
    const management = functions.management;
    const refusal = management
      ? refuseManagementRequest(request, management.token)
      : { statusCode: 404, errorCode: 'inexistent_route', message: `Nothing is served at ${path}` };
    if (refusal) {
      const { statusCode, errorCode, message } = refusal;
      response.writeHead(statusCode, {
        'content-type': 'application/json',
        ...(statusCode === 401 ? { 'www-authenticate': 'Bearer realm="a0bridge-local"' } : {}),
      });
      response.end(JSON.stringify({ statusCode, error: STATUS_CODES[statusCode], message, errorCode }));
      return;
    }
    void serveFunctionUrl((management as LocalManagement).handler, 'management', request, response);
  });
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

interface Refusal {
  readonly statusCode: number;
  readonly errorCode: string;
  readonly message: string;
}

/**
 * Only this machine's own tools get through: the Host must name the loopback address we listen on (a DNS
 * rebinding attack sends its own host name), a browser's Origin must be a loopback one (a cross-site page
 * sends its own), and the token must match, compared in constant time.
 */
function refuseManagementRequest(request: IncomingMessage, token: string): Refusal | undefined {
  const port = request.socket.localPort;
  const allowedHosts = LOOPBACK_NAMES.flatMap((name) =>
    port === 80 ? [name, `${name}:80`] : [`${name}:${port}`],
  );
  const host = request.headers.host?.toLowerCase();
  if (!host || !allowedHosts.includes(host)) {
    return {
      statusCode: 403,
      errorCode: 'forbidden_host',
      message:
        `The local management API answers only requests addressed to 127.0.0.1:${port}, localhost:${port} ` +
        `or [::1]:${port}, got Host ${host ? JSON.stringify(host.slice(0, 100)) : 'none'}. ` +
        'It is not served through tunnels or other host names; a deployed stack serves it with AWS_IAM auth.',
    };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return {
      statusCode: 403,
      errorCode: 'forbidden_origin',
      message:
        `The local management API refuses requests from web pages: got Origin ${JSON.stringify(origin.slice(0, 100))}, ` +
        'and only http://127.0.0.1, http://localhost or http://[::1] (any port) are accepted.',
    };
  }
  const authorization = request.headers.authorization;
  if (!isAuthorized(authorization, [token])) {
    // The header sent is not repeated: it may be a real token meant for something else.
    return {
      statusCode: 401,
      errorCode: 'unauthorized',
      message:
        `${authorization ? 'The Authorization header holds no valid management token' : 'No Authorization header was sent'}. ` +
        'The local management API needs the management token npm start printed ("Modules token" in its banner); ' +
        `npm start also writes it to .a0bridge/local-${port}.json, where a0bridge finds it. ` +
        'Send it as Authorization: Bearer <token>.',
    };
  }
  return undefined;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_NAMES.includes(url.hostname);
  } catch {
    // `Origin: null` (a sandboxed frame, a file: page) is no loopback origin either.
    return false;
  }
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
