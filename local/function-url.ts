import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';

export type FunctionUrlHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** Lambda Function URLs refuse request payloads over 6 MB. */
export const FUNCTION_URL_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

const TEXT_TYPES = [/^text\//, /json/, /xml/, /javascript/, /x-www-form-urlencoded/, /yaml/, /csv/];

/**
 * Builds the event a Lambda Function URL (payload format 2.0) would deliver for this request: lower-case
 * headers with repeated values joined by commas, cookies apart, and the body base64-encoded unless it is text
 * and not content-encoded.
 */
export function toFunctionUrlEvent(
  request: IncomingMessage,
  body: Buffer,
  functionName: string,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] ?? '').toLowerCase();
    const value = request.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') cookies = [...(cookies ?? []), ...value.split(/;\s*/)];
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams)
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const contentType = headers['content-type'] ?? '';
  // Bytes that are not UTF-8 go base64-encoded, as binary does: decoding them here would lose them.
  const isText =
    !headers['content-encoding'] && TEXT_TYPES.some((pattern) => pattern.test(contentType)) && isUtf8(body);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: functionName,
      domainName: headers.host ?? 'localhost',
      domainPrefix: functionName,
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
  };
}

/** A Lambda context good enough for Powertools and middy outside Lambda. */
export function localContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Writes a handler result the way Function URLs do: a structured result as given; anything else (a string
 * or an object without statusCode) as a 200 JSON body.
 */
export function writeFunctionUrlResult(result: APIGatewayProxyResultV2, response: ServerResponse): void {
  if (
    typeof result === 'object' &&
    result !== null &&
    'statusCode' in result &&
    result.statusCode !== undefined
  ) {
    const body = result.body ?? '';
    for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
    if (result.cookies?.length) response.setHeader('set-cookie', result.cookies);
    response.statusCode = result.statusCode;
    response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
    return;
  }
  response.statusCode = 200;
  response.setHeader('content-type', 'application/json');
  response.end(typeof result === 'string' ? result : JSON.stringify(result));
}

/** Reads a request body, refusing more than Function URLs accept (answered 413 by the caller). */
export async function readRequestBody(request: IncomingMessage, maxBytes = FUNCTION_URL_MAX_PAYLOAD_BYTES) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Serves one request through a Function URL handler, answering 502 like AWS when the handler throws. */
export async function serveFunctionUrl(
  handler: FunctionUrlHandler,
  functionName: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const body = await readRequestBody(request);
  if (body === undefined) {
    response.writeHead(413, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      }),
    );
    return;
  }
  try {
    const result = await handler(toFunctionUrlEvent(request, body, functionName), localContext(functionName));
    writeFunctionUrlResult(result, response);
  } catch (error) {
    // The handler already logged it; AWS answers a bare 502 without details.
    process.stderr.write(`${functionName} failed: ${(error as Error)?.stack ?? String(error)}\n`);
    response.writeHead(502, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ message: 'Internal Server Error' }));
  }
}
