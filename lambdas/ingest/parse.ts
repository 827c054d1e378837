import { HttpError } from '../shared/errors';

/** The body layouts Auth0 sends, detected from the body itself since the content type says little. */
export type BodyFormat = 'JSONARRAY' | 'JSONLINES' | 'JSONOBJECT' | 'LOGS_ENVELOPE';

export interface ParsedBody {
  readonly format: BodyFormat;
  /** Each element as received; validation decides whether it is usable. */
  readonly elements: readonly unknown[];
}

/**
 * Splits a Custom Webhook body into its log entries:
 * - JSONARRAY: `[{"log_id": …, "data": {…}}, …]`;
 * - JSONLINES: one such object per line (LF or CRLF, blank lines ignored);
 * - JSONOBJECT: a single such object;
 * - the AsyncAPI envelope `{"logs": [ …records… ]}`.
 * Throws a 400 HttpError that says what was wrong, with the line number for JSON lines.
 */
export function parseBody(text: string): ParsedBody {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new HttpError(400, 'Request body is empty; expected Auth0 log entries as JSON.');

  if (body.startsWith('[')) {
    const parsed = parseJson(body, 'Body looks like a JSON array (JSONARRAY) but is not valid JSON');
    if (!Array.isArray(parsed)) throw new HttpError(400, 'Body is not a JSON array.');
    return { format: 'JSONARRAY', elements: parsed };
  }
  if (!body.startsWith('{')) {
    throw new HttpError(
      400,
      `Body is not JSON: expected a JSON array, a JSON object or JSON lines, but it starts with ${JSON.stringify(body[0])}.`,
    );
  }

  const whole = tryJson(body);
  if (whole.ok) {
    const value = whole.value;
    if (isEnvelope(value)) return { format: 'LOGS_ENVELOPE', elements: value.logs };
    return { format: 'JSONOBJECT', elements: [value] };
  }

  const lines = body.split(/\r?\n/);
  if (lines.filter((line) => line.trim() !== '').length === 1) {
    throw new HttpError(400, `Body is not valid JSON (JSONOBJECT): ${whole.message}`);
  }
  const elements: unknown[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const parsed = tryJson(line);
    if (!parsed.ok) {
      throw new HttpError(400, `Line ${index + 1} is not valid JSON (JSONLINES): ${parsed.message}`);
    }
    elements.push(parsed.value);
  });
  return { format: 'JSONLINES', elements };
}

function isEnvelope(value: unknown): value is { logs: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { logs?: unknown }).logs);
}

type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

function tryJson(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: (error as SyntaxError).message };
  }
}

function parseJson(text: string, context: string): unknown {
  const result = tryJson(text);
  if (!result.ok) throw new HttpError(400, `${context}: ${result.message}`);
  return result.value;
}
