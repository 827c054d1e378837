/**
 * What JSON and EventBridge can carry faithfully, and how a record is checked against it. A record is either
 * published exactly as received or quarantined with the reason; it is never silently altered:
 * - bytes that are not UTF-8 are kept as lone surrogates (U+DC80–U+DCFF, Python's "surrogateescape"), so two
 *   ids that differ only in invalid bytes stay distinct, and the record is quarantined as `invalid_unicode`;
 * - numbers JavaScript cannot hold exactly (30-digit integers, 20-digit decimals) keep their original text
 *   through `JSON.rawJSON`; numbers EventBridge refuses (integers outside 64 bits, `1e999`) are quarantined;
 * - records nested deeper than `MAX_RECORD_DEPTH` are quarantined before anything recursive touches them.
 */
import { isUtf8 } from 'node:buffer';

/** PutEvents processes JSON nested up to 1000 levels; Auth0's records nest fewer than 20. */
export const MAX_RECORD_DEPTH = 100;

/** EventBridge's JSON integers are 64-bit signed. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// Node 22 has JSON.parse source text access and JSON.rawJSON (TC39 stage 4); TypeScript's lib does not yet.
interface RawJson {
  readonly rawJSON: string;
}
type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;
const Json = JSON as unknown as {
  parse(text: string, reviver?: Reviver): unknown;
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
};

export function isRawJson(value: unknown): value is RawJson {
  return Json.isRawJSON(value);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 without losing anything: each byte of an invalid sequence becomes the lone surrogate
 * U+DC00 + byte, which no valid UTF-8 can produce, so the record holding it can be recognised and quarantined.
 */
export function decodeUtf8Losslessly(bytes: Buffer): string {
  if (isUtf8(bytes)) return STRICT_UTF8.decode(bytes);
  let text = '';
  let start = 0;
  let index = 0;
  while (index < bytes.length) {
    const length = validSequenceLength(bytes, index);
    if (length > 0) {
      index += length;
      continue;
    }
    text += bytes.toString('utf8', start, index) + String.fromCharCode(0xdc00 + (bytes[index] as number));
    index += 1;
    start = index;
  }
  return text + bytes.toString('utf8', start);
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), or 0. */
function validSequenceLength(bytes: Buffer, i: number): number {
  const b0 = bytes[i] as number;
  const inRange = (offset: number, low: number, high: number) => {
    const b = bytes[i + offset];
    return b !== undefined && b >= low && b <= high;
  };
  if (b0 <= 0x7f) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return inRange(1, 0x80, 0xbf) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const [low, high] = b0 === 0xe0 ? [0xa0, 0xbf] : b0 === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return inRange(1, low, high) && inRange(2, 0x80, 0xbf) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const [low, high] = b0 === 0xf0 ? [0x90, 0xbf] : b0 === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return inRange(1, low, high) && inRange(2, 0x80, 0xbf) && inRange(3, 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

/**
 * A number token that may not survive a trip through a double: 16 or more digits, or a 3-digit exponent.
 * Matches inside strings too, which only costs a slower, exact parse of that body.
 */
const SUSPICIOUS_NUMBER = /[:[,][ \t\n\r]*-?\d(?:[\d.]{15}|[\d.]*[eE][+-]?\d{3})/;

/**
 * `JSON.parse`, except that a number a double cannot hold exactly keeps its original text (`JSON.rawJSON`),
 * so `JSON.stringify` writes it back byte for byte. Bodies without such a token take the plain fast path.
 * Throws a SyntaxError for text that is not JSON, and a RangeError when the exact parse, which recurses,
 * meets nesting deeper than the stack allows.
 */
export function parseJsonFaithfully(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return mayHoldInexactNumber(text, value) ? parseExactly(text) : value;
}

/** The exact parse: every number's source text is read, and kept when a double would change it. */
export function parseExactly(text: string): unknown {
  return Json.parse(text, (_key, value, context) => {
    if (typeof value !== 'number' || context?.source === undefined) return value;
    const source = context.source;
    return Number.isFinite(value) && decimalKey(source) === decimalKey(String(value))
      ? value
      : Json.rawJSON(source);
  });
}

/**
 * Whether some number token of `text`, already parsed to `value`, may not survive a double. Only the numbers
 * `value` holds matter (the exact parse drops a repeated name's earlier value too), so a body without any
 * needs no search at all, and one whose numbers are all object members needs a search that starts only at
 * colons, where every member value is written (`SUSPICIOUS_MEMBER_NUMBER`), about twice as fast as one that
 * also starts at the commas and brackets before array elements (`SUSPICIOUS_NUMBER`).
 */
function mayHoldInexactNumber(text: string, value: unknown): boolean {
  // A lone number: reading it exactly costs no more than looking at it.
  if (typeof value === 'number') return true;
  const numbers = numbersIn(value);
  if (numbers === 'none') return false;
  return numbers === 'members' ? SUSPICIOUS_MEMBER_NUMBER.test(text) : SUSPICIOUS_NUMBER.test(text);
}

/** `SUSPICIOUS_NUMBER` written as an object member's value. */
const SUSPICIOUS_MEMBER_NUMBER = /:[ \t\n\r]*-?\d(?:[\d.]{15}|[\d.]*[eE][+-]?\d{3})/;

/**
 * Where `value` holds numbers: nowhere, only as object members, or (also) as array elements. Iterative:
 * JSON.parse reads any depth.
 */
function numbersIn(value: unknown): 'none' | 'members' | 'elements' {
  let found: 'none' | 'members' = 'none';
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null) continue;
    if (Array.isArray(item)) {
      for (const element of item) {
        if (typeof element === 'number') return 'elements';
        if (typeof element === 'object' && element !== null) stack.push(element);
      }
      continue;
    }
    for (const name in item) {
      const member = (item as Record<string, unknown>)[name];
      if (typeof member === 'number') found = 'members';
      else if (typeof member === 'object' && member !== null) stack.push(member);
    }
  }
  return found;
}

/**
 * The texts of the top-level elements of a JSON array, for text already known to be valid JSON. Iterative,
 * so an element nested too deep to parse exactly can be set apart from its neighbours.
 */
export function arrayElementTexts(text: string): string[] {
  const elements: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      if (depth === 1 && start < 0) start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++)
        if (text.charCodeAt(i) === BACKSLASH) i++;
    } else if (char === OPEN_ARRAY || char === OPEN_OBJECT) {
      if (depth === 1 && start < 0) start = i;
      depth++;
    } else if (char === CLOSE_ARRAY_CHAR || char === CLOSE_OBJECT_CHAR) {
      depth--;
      if (depth === 0) {
        if (start >= 0) elements.push(text.slice(start, i));
        break;
      }
    } else if (depth === 1) {
      if (char === COMMA_CHAR) {
        elements.push(text.slice(start, i));
        start = -1;
      } else if (start < 0 && char > SPACE) start = i;
    }
  }
  return elements;
}

const [QUOTE, BACKSLASH, OPEN_ARRAY, OPEN_OBJECT, CLOSE_ARRAY_CHAR, CLOSE_OBJECT_CHAR, COMMA_CHAR, SPACE] = [
  '"',
  '\\',
  '[',
  '{',
  ']',
  '}',
  ',',
  ' ',
].map((char) => char.charCodeAt(0)) as [number, number, number, number, number, number, number, number];

/** A canonical form of a decimal number's value: sign, significant digits and exponent. */
function decimalKey(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  const scale = Number(exponent) - fraction.length + (digits.length - significant.length);
  return `${sign}${significant}e${scale}`;
}

/** Why a record cannot be carried faithfully, or undefined when it can. */
export type FidelityProblem =
  | { readonly reason: 'too_deep'; readonly message: string }
  | { readonly reason: 'invalid_unicode'; readonly message: string }
  | { readonly reason: 'unrepresentable_number'; readonly message: string };

/**
 * Walks a parsed record: its depth, its strings (keys included) and its numbers. Field paths are named; values
 * never are. The walk recurses, but never deeper than MAX_RECORD_DEPTH: a deeper object is the problem, found
 * before anything below it is visited. It goes depth first in the record's order and reports the first problem.
 * `stringsWellFormed`: the record was parsed from text that `stringsAreWellFormed`, so its strings need no check.
 */
export function inspectRecord(record: unknown, stringsWellFormed = false): FidelityProblem | undefined {
  const found = inspect(record, 0, stringsWellFormed);
  if (found === undefined) return undefined;
  const at = where(found.keys);
  switch (found.kind) {
    case 'too_deep':
      return {
        reason: 'too_deep',
        message: `${at} nests deeper than ${MAX_RECORD_DEPTH} levels; EventBridge and most consumers cannot process it.`,
      };
    case 'invalid_unicode':
      return {
        reason: 'invalid_unicode',
        message: `${at} holds bytes that are not UTF-8 or a lone surrogate; JSON cannot carry it faithfully.`,
      };
    case 'invalid_field_name':
      return {
        reason: 'invalid_unicode',
        message: `A field name in ${at} holds bytes that are not UTF-8 or a lone surrogate.`,
      };
    case 'unrepresentable_number':
      return {
        reason: 'unrepresentable_number',
        message: `${at} is a number outside what EventBridge accepts (64-bit integers, finite decimals).`,
      };
  }
}

/** A problem and where it is: the keys from it up to the record, deepest first (gathered on the way back). */
interface Found {
  readonly kind: 'too_deep' | 'invalid_unicode' | 'invalid_field_name' | 'unrepresentable_number';
  readonly keys: Array<string | number>;
}

/**
 * Whether every string parsed from `text`, field names included, is well-formed Unicode, known without looking
 * at each: so when the text is, and holds no `\u` escape (the only way JSON can spell a lone surrogate). One
 * search of the text, cheaper than a check of each string of each record.
 */
export function stringsAreWellFormed(text: string): boolean {
  return text.isWellFormed() && !text.includes('\\u');
}

function inspect(value: unknown, depth: number, stringsWellFormed: boolean): Found | undefined {
  if (typeof value === 'string') {
    return stringsWellFormed || value.isWellFormed() ? undefined : { kind: 'invalid_unicode', keys: [] };
  }
  if (typeof value === 'number') {
    // JSON.stringify writes integers below 1e21 in full: past 64 bits EventBridge refuses them.
    const huge = Number.isInteger(value) && Math.abs(value) >= 2 ** 63 && Math.abs(value) < 1e21;
    return !Number.isFinite(value) || huge ? { kind: 'unrepresentable_number', keys: [] } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (isRawJson(value)) {
    const raw = value.rawJSON;
    const fits = /[.eE]/.test(raw) ? Number.isFinite(Number(raw)) : fitsInt64(raw);
    return fits ? undefined : { kind: 'unrepresentable_number', keys: [] };
  }
  if (depth >= MAX_RECORD_DEPTH) return { kind: 'too_deep', keys: [] };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = inspect(value[index], depth + 1, stringsWellFormed);
      if (found) {
        found.keys.push(index);
        return found;
      }
    }
    return undefined;
  }
  // for…in rather than Object.keys: parsed JSON objects have no inherited enumerable keys, and no array is made.
  for (const key in value) {
    if (!stringsWellFormed && !key.isWellFormed()) return { kind: 'invalid_field_name', keys: [] };
    const child = (value as Record<string, unknown>)[key];
    // Most values are strings: checked here, without a call of their own.
    if (typeof child === 'string' && (stringsWellFormed || child.isWellFormed())) continue;
    const found = inspect(child, depth + 1, stringsWellFormed);
    if (found) {
      found.keys.push(key);
      return found;
    }
  }
  return undefined;
}

function fitsInt64(digits: string): boolean {
  try {
    const value = BigInt(digits);
    return value >= INT64_MIN && value <= INT64_MAX;
  } catch {
    return false;
  }
}

/** `Field details.request[2]`: the path from the record, shortened at its start when deep. */
function where(keys: ReadonlyArray<string | number>): string {
  if (keys.length === 0) return 'The record';
  const shown = keys
    .slice(0, 8)
    .reverse()
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${key.slice(0, 40)}`,
    )
    .join('');
  return `Field ${keys.length > 8 ? '…' : ''}${shown.toWellFormed()}`;
}

/**
 * `JSON.stringify` for records that may nest arbitrarily deep or hold characters a message queue refuses:
 * iterative, so depth cannot overflow the stack, and with U+FFFE/U+FFFF escaped (JSON.stringify already
 * escapes control characters and lone surrogates), so the text is valid XML 1.0 character data, as SQS
 * requires. The output parses back to the same value.
 */
export function stringifySafely(value: unknown): string {
  const out: string[] = [];
  const stack: Array<unknown | Close> = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item instanceof Close) {
      out.push(item.text);
      continue;
    }
    if (typeof item !== 'object' || item === null || isRawJson(item)) {
      out.push(JSON.stringify(item) ?? 'null');
      continue;
    }
    const parts: Array<unknown | Close> = [];
    if (Array.isArray(item)) {
      out.push('[');
      item.forEach((element, index) => {
        if (index > 0) parts.push(COMMA);
        parts.push(element === undefined ? null : element);
      });
      parts.push(CLOSE_ARRAY);
    } else {
      out.push('{');
      let first = true;
      for (const [key, element] of Object.entries(item)) {
        if (element === undefined || typeof element === 'function') continue;
        parts.push(new Close(`${first ? '' : ','}${JSON.stringify(key)}:`), element);
        first = false;
      }
      parts.push(CLOSE_OBJECT);
    }
    for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i]);
  }
  return out.join('').replace(/[\uFFFE\uFFFF]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
}

/** Literal text queued between values. */
class Close {
  public constructor(public readonly text: string) {}
}
const COMMA = new Close(',');
const CLOSE_ARRAY = new Close(']');
const CLOSE_OBJECT = new Close('}');
