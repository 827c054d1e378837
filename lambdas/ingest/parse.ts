import { HttpError } from '../shared/errors';
import { arrayElementTexts, parseJsonFaithfully } from './fidelity';

/** The body layouts Auth0 sends, detected from the body itself since the content type says little. */
export type BodyFormat = 'JSONARRAY' | 'JSONLINES' | 'JSONOBJECT' | 'LOGS_ENVELOPE';

export interface ParsedBody {
  readonly format: BodyFormat;
  /** Each element as received; validation decides whether it is usable. */
  readonly elements: readonly unknown[];
}

/**
 * Part of a body that could not be read as a record: a JSON Lines line that is not JSON, or an element nested
 * too deep to parse exactly. It is quarantined as text, and the records around it are delivered.
 */
export class UnparsedText {
  public constructor(
    public readonly reason: 'invalid_json' | 'too_deep',
    /** Says what was wrong and where, never what the text holds. */
    public readonly message: string,
    public readonly text: string,
  ) {}
}

/**
 * Splits a Custom Webhook body into its log entries:
 * - JSONARRAY: `[{"log_id": …, "data": {…}}, …]`;
 * - JSONLINES: one such object per line (LF or CRLF, blank lines ignored); a line that is not JSON becomes an
 *   `UnparsedText` element, unless no line parses at all;
 * - JSONOBJECT: a single such object;
 * - the AsyncAPI envelope `{"logs": [ …records… ]}`.
 * Throws a 400 HttpError that says what was wrong, with the line number for JSON lines.
 */
export function parseBody(text: string): ParsedBody {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new HttpError(400, 'Request body is empty; expected Auth0 log entries as JSON.');

  if (body.startsWith('[')) {
    const parsed = tryJson(body);
    if (parsed.ok) {
      if (!Array.isArray(parsed.value)) throw new HttpError(400, 'Body is not a JSON array.');
      return { format: 'JSONARRAY', elements: parsed.value };
    }
    if (!parsed.tooDeep) {
      throw new HttpError(
        400,
        `Body looks like a JSON array (JSONARRAY) but is not valid JSON: ${parsed.message}`,
      );
    }
    // Valid JSON, but some element nests deeper than an exact parse can go: read the elements one by one.
    const elements = arrayElementTexts(body).map((element, index) => {
      const one = tryJson(element);
      return one.ok ? one.value : new UnparsedText('too_deep', `Entry ${index} ${one.message}.`, element);
    });
    return { format: 'JSONARRAY', elements };
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
  if (whole.tooDeep) {
    return {
      format: 'JSONOBJECT',
      elements: [new UnparsedText('too_deep', `The body ${whole.message}.`, body)],
    };
  }

  const lines = body.split(/\r?\n/);
  if (lines.filter((line) => line.trim() !== '').length === 1) {
    throw new HttpError(400, `Body is not valid JSON (JSONOBJECT): ${whole.message}`);
  }
  const elements: unknown[] = [];
  let firstError: string | undefined;
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const parsed = tryJson(line);
    if (parsed.ok) {
      elements.push(parsed.value);
      return;
    }
    const message = parsed.tooDeep
      ? `Line ${index + 1} ${parsed.message}.`
      : `Line ${index + 1} is not valid JSON (JSONLINES): ${parsed.message}`;
    firstError ??= message;
    elements.push(new UnparsedText(parsed.tooDeep ? 'too_deep' : 'invalid_json', message, line));
  });
  if (elements.every((element) => element instanceof UnparsedText && element.reason === 'invalid_json')) {
    throw new HttpError(400, `Body is not JSON: no line of it parses. ${firstError}`);
  }
  return { format: 'JSONLINES', elements };
}

function isEnvelope(value: unknown): value is { logs: unknown[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { logs?: unknown }).logs);
}

type JsonResult = { ok: true; value: unknown } | { ok: false; tooDeep: boolean; message: string };

function tryJson(text: string): JsonResult {
  try {
    return { ok: true, value: parseJsonFaithfully(text) };
  } catch (error) {
    if (error instanceof RangeError) {
      return { ok: false, tooDeep: true, message: 'nests too deep to be read exactly' };
    }
    return { ok: false, tooDeep: false, message: describeSyntaxError(error) };
  }
}

/**
 * V8's message may quote the text around the error, which may be any part of a record: keep only what and
 * where. Auth0 log records can hold personal data, and responses and logs should not echo it.
 */
function describeSyntaxError(error: unknown): string {
  const message = (error as SyntaxError).message ?? String(error);
  return message.replace(/, ".*" is not valid JSON$/s, ' in JSON').replace(/ \(line \d+ column \d+\)$/, '');
}
