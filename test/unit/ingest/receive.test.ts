import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type IngestRequest, readBody } from '../../../lambdas/ingest/receive';
import { HttpError } from '../../../lambdas/shared/errors';

const text = JSON.stringify([{ log_id: '1', data: { type: 's', description: 'café ✓' } }]);
const request = (body: string, extra: Partial<IngestRequest> = {}): IngestRequest => ({
  method: 'POST',
  headers: {},
  body,
  ...extra,
});

function statusOf(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error.statusCode;
    throw error;
  }
  return 200;
}

describe('readBody', () => {
  it('returns a plain body as text', () => {
    expect(readBody(request(text), 1024)).toBe(text);
  });

  it('decodes a base64 body flagged by the Function URL', () => {
    const body = Buffer.from(text).toString('base64');
    expect(readBody(request(body, { isBase64Encoded: true }), 1024)).toBe(text);
  });

  it('gunzips a body sent with Content-Encoding: gzip', () => {
    const body = gzipSync(text).toString('base64');
    const headers = { 'content-encoding': 'gzip' };
    expect(readBody(request(body, { isBase64Encoded: true, headers }), 1024)).toBe(text);
  });

  it('gunzips gzip bytes even when no Content-Encoding header says so', () => {
    const body = gzipSync(text).toString('base64');
    expect(readBody(request(body, { isBase64Encoded: true }), 1024)).toBe(text);
  });

  it('accepts a body of exactly the maximum size', () => {
    expect(readBody(request('x'.repeat(100)), 100)).toHaveLength(100);
  });

  it('refuses a body one byte over the maximum with 413', () => {
    expect(statusOf(() => readBody(request('x'.repeat(101)), 100))).toBe(413);
  });

  it('counts bytes, not characters, against the maximum', () => {
    expect(statusOf(() => readBody(request('é'.repeat(51)), 100))).toBe(413);
  });

  it('refuses with 413 a small gzip body that inflates past the maximum', () => {
    const bomb = gzipSync(Buffer.alloc(1_000_000, 0x20)).toString('base64');
    expect(bomb.length).toBeLessThan(10_000);
    expect(statusOf(() => readBody(request(bomb, { isBase64Encoded: true }), 10_000))).toBe(413);
  });

  it('refuses a body that claims gzip but is not with 400', () => {
    expect(statusOf(() => readBody(request(text, { headers: { 'content-encoding': 'gzip' } }), 1024))).toBe(
      400,
    );
  });

  it('refuses an unsupported Content-Encoding with 415', () => {
    expect(statusOf(() => readBody(request(text, { headers: { 'content-encoding': 'br' } }), 1024))).toBe(
      415,
    );
  });
});
