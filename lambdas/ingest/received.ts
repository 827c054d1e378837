import { HttpError } from '../shared/errors';
import type { Deliverable } from './event';
import { parseJsonFaithfully } from './fidelity';
import type { QuarantinedRecord } from './ports';

/** What one request body holds, once read by the parser of its path. */
export interface Received {
  /** How the body was laid out, for the logs: `JSONARRAY`, `ACTION_EVENT`, `CLOUDEVENT`… */
  readonly format: string;
  /** How many records or events the body held, usable or not. */
  readonly count: number;
  /** The events to publish, in body order; the same key twice is published once. */
  readonly deliverables: readonly Deliverable[];
  /** Records that cannot be published, with the reason: stored, never dropped. */
  readonly quarantine: readonly QuarantinedRecord[];
}

/**
 * A body that must be one JSON value (an Actions event, a CloudEvent or a batch of them): parsed with the
 * numbers kept exact. Throws a 400 HttpError naming what was wrong, never quoting the body.
 */
export function parseJsonBody(text: string, expected: string): unknown {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') throw new HttpError(400, `Request body is empty; expected ${expected}.`);
  try {
    return parseJsonFaithfully(body);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new HttpError(400, `Request body nests too deep to be read exactly; expected ${expected}.`);
    }
    throw new HttpError(400, `Request body is not valid JSON; expected ${expected}.`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
