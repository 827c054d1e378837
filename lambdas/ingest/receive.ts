import { gunzipSync } from 'node:zlib';
import { HttpError } from '../shared/errors';
import { decodeUtf8Losslessly } from './fidelity';

/** The parts of a Function URL (payload format 2.0) request that ingest looks at. */
export interface IngestRequest {
  readonly method: string;
  /** The request path (`rawPath`): `/`, `/actions/<trigger>` or `/events`. */
  readonly path?: string;
  /** Header names in lower case, as Function URLs deliver them. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The request body as text: base64 decoded when the Function URL says so, gunzipped when the sender says so
 * or the bytes are gzip, and never larger than `maxBytes` (compressed or not), so a gzip bomb stops early.
 */
export function readBody(request: IngestRequest, maxBytes: number): string {
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const body = request.body ?? '';
  if (!request.isBase64Encoded && (encoding === 'identity' || encoding === '') && body.isWellFormed()) {
    // Already text, and what its UTF-8 bytes decode back to: only its size needs checking. (Such bytes never
    // start like gzip: 0x8b cannot follow 0x1f in UTF-8.)
    // A UTF-16 code unit is at most 3 UTF-8 bytes: only a body near the limit needs counting.
    if (body.length * 3 <= maxBytes) return body;
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > maxBytes) tooLarge(bytes, maxBytes);
    return body;
  }
  const raw = Buffer.from(body, request.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > maxBytes) tooLarge(raw.length, maxBytes);
  const looksGzipped = raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1];
  if (encoding === 'gzip' || encoding === 'x-gzip' || looksGzipped) {
    return decodeUtf8Losslessly(gunzip(raw, maxBytes));
  }
  if (encoding !== 'identity' && encoding !== '') {
    throw new HttpError(415, `Content-Encoding "${encoding}" is not supported; send the body plain or gzip.`);
  }
  return decodeUtf8Losslessly(raw);
}

function tooLarge(bytes: number, maxBytes: number): never {
  throw new HttpError(413, `Request body is ${bytes} bytes; the maximum is ${maxBytes} bytes.`);
}

function gunzip(raw: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(413, `Request body is larger than ${maxBytes} bytes once decompressed.`, {
        cause: error,
      });
    }
    throw new HttpError(400, `Request body is not valid gzip: ${(error as Error).message}`, { cause: error });
  }
}
