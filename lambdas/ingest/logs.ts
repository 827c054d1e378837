import { type Deliverable, logDeliverable } from './event';
import { stringsAreWellFormed } from './fidelity';
import { parseBody, UnparsedText } from './parse';
import type { QuarantinedRecord } from './ports';
import type { Received } from './received';
import { validateElement } from './validate';

/**
 * A Custom Webhook log stream delivery (`POST /`): every usable record becomes an `Auth0 log` event keyed by
 * its log_id; every unusable one is quarantined with the reason, and the others are still delivered.
 */
export function receiveLogs(text: string): Received {
  const { format, elements } = parseBody(text);
  const wellFormed = stringsAreWellFormed(text);
  const deliverables: Deliverable[] = [];
  const quarantine: QuarantinedRecord[] = [];
  for (let position = 0; position < elements.length; position++) {
    const element = elements[position];
    const result = validateElement(element, position, wellFormed);
    if (result.ok) {
      deliverables.push(logDeliverable(result.entry));
      continue;
    }
    const { reason, message, logId } = result;
    const record = element instanceof UnparsedText ? element.text : element;
    quarantine.push({ reason, message, position, record, ...(logId ? { logId } : {}) });
  }
  return { format, count: elements.length, deliverables, quarantine };
}
