import { describe, expect, it } from 'vitest';
import { parseBody, UnparsedText } from '../../../lambdas/ingest/parse';
import { HttpError } from '../../../lambdas/shared/errors';

const entry = (id: string) => ({
  log_id: id,
  data: { type: 's', date: '2026-01-01T00:00:00.000Z', log_id: id },
});

function refusal(body: string): HttpError {
  try {
    parseBody(body);
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseBody', () => {
  it('reads a JSON array (JSONARRAY)', () => {
    const parsed = parseBody(JSON.stringify([entry('1'), entry('2')]));
    expect(parsed.format).toBe('JSONARRAY');
    expect(parsed.elements).toEqual([entry('1'), entry('2')]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('reads JSON lines separated by %s, ignoring a trailing newline and blank lines', (_, eol) => {
    const body = [entry('1'), entry('2'), entry('3')].map((e) => JSON.stringify(e)).join(eol) + eol + eol;
    const parsed = parseBody(body);
    expect(parsed.format).toBe('JSONLINES');
    expect(parsed.elements).toEqual([entry('1'), entry('2'), entry('3')]);
  });

  it('reads a single object (JSONOBJECT)', () => {
    const parsed = parseBody(`${JSON.stringify(entry('1'))}\n`);
    expect(parsed).toEqual({ format: 'JSONOBJECT', elements: [entry('1')] });
  });

  it('reads the AsyncAPI envelope whose elements are bare records', () => {
    const records = [
      { log_id: 'a', type: 'f', date: '2026-01-01T00:00:00Z' },
      { _id: 'b', type: 's' },
    ];
    const parsed = parseBody(JSON.stringify({ logs: records }));
    expect(parsed).toEqual({ format: 'LOGS_ENVELOPE', elements: records });
  });

  it('ignores a byte order mark and surrounding whitespace', () => {
    expect(parseBody(`\uFEFF  ${JSON.stringify([entry('1')])}  \n`).elements).toHaveLength(1);
  });

  it('accepts an empty array as zero records', () => {
    expect(parseBody('[]')).toEqual({ format: 'JSONARRAY', elements: [] });
  });

  it('keeps a JSON Lines line that is not JSON as an unparseable element, and the lines around it', () => {
    const body = [
      JSON.stringify(entry('1')),
      JSON.stringify(entry('2')),
      '{"log_id": "3", "data": {',
      JSON.stringify(entry('4')),
    ].join('\r\n');
    const { format, elements } = parseBody(body);
    expect(format).toBe('JSONLINES');
    expect(elements).toHaveLength(4);
    expect(elements[2]).toBeInstanceOf(UnparsedText);
    expect(elements[2]).toMatchObject({ reason: 'invalid_json', text: '{"log_id": "3", "data": {' });
    expect((elements[2] as UnparsedText).message).toMatch(/^Line 3 is not valid JSON \(JSONLINES\)/);
    expect(elements[3]).toEqual(entry('4'));
  });

  it('counts blank lines when naming the bad line', () => {
    const { elements } = parseBody(`${JSON.stringify(entry('1'))}\n\nnot json`);
    expect(elements[1]).toMatchObject({ message: expect.stringMatching(/^Line 3 /), text: 'not json' });
  });

  it('refuses JSON lines none of which parses, and never quotes the body in the message', () => {
    const error = refusal('{"email": "jane@example.com" x\n{"password": "hunter2" y');
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(/^Body is not JSON: no line of it parses. Line 1 /);
    expect(error.message).not.toMatch(/jane|hunter2/);
  });

  it.each([
    ['an empty body', '', /empty/],
    ['whitespace only', ' \n\t', /empty/],
    ['a body that is not JSON', 'type=s&log_id=1', /not JSON.*starts with "t"/],
    ['a broken JSON array', '[{"log_id": "1"', /JSON array \(JSONARRAY\) but is not valid JSON/],
    ['a broken single object', '{"log_id": "1", ', /not valid JSON \(JSONOBJECT\)/],
  ])('refuses %s with 400 and says what was wrong', (_, body, message) => {
    const error = refusal(body);
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(message);
  });
});
