/**
 * Write-only secrets kept as immutable sets, the same for modules and actions. One document per owner holds a
 * pool of values under random ids; each set maps secret names to value ids and never changes once written.
 * A draft and every version point at one set (the pointers live with the records), so a version keeps the
 * values it was published with, and rollback only moves a pointer. Pure: the Secrets Manager adapter stores
 * the document, and the test fakes keep it in memory, both through these functions.
 */

export interface SecretDocument {
  readonly format: 1;
  /** Value id → value. */
  readonly values: Readonly<Record<string, string>>;
  /** Set id → (secret name → value id). */
  readonly sets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A secret to write: a new value, or the value the base set holds under that name. */
export type SecretWrite =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly keep: true };

/** Whose secret it is: modules and actions each have one secret per owner. */
export type SecretCollection = 'modules' | 'actions';

/**
 * The name of an owner's secret, `<prefix>/<collection>/<ownerId>`: the registry's adapter writes it, the
 * deployer grants it, the runners read it, and IAM scopes access by its prefix.
 */
export function secretNameFor(prefix: string, collection: SecretCollection, ownerId: string): string {
  return `${prefix.replace(/\/+$/, '')}/${collection}/${ownerId}`;
}

export const EMPTY_SECRET_DOCUMENT: SecretDocument = { format: 1, values: {}, sets: {} };

/**
 * The document with a new set made of `entries` (none when `entries` is empty). Sets other than the new one,
 * the base one and `retain` are dropped, and so are values no remaining set uses. Throws when an entry keeps
 * a value the base set does not hold.
 */
export function writeSecretSet(
  document: SecretDocument,
  baseSetId: string | undefined,
  entries: readonly SecretWrite[],
  retain: readonly string[],
  newId: () => string,
): { readonly document: SecretDocument; readonly setId?: string } {
  const base = (baseSetId && document.sets[baseSetId]) || {};
  const set: Record<string, string> = {};
  const values: Record<string, string> = { ...document.values };
  for (const entry of entries) {
    if ('keep' in entry) {
      const ref = base[entry.name];
      if (ref === undefined || values[ref] === undefined) {
        throw new Error(`There is no stored value for the secret ${entry.name} to keep`);
      }
      set[entry.name] = ref;
    } else {
      const ref = newId();
      values[ref] = entry.value;
      set[entry.name] = ref;
    }
  }
  const setId = entries.length > 0 ? newId() : undefined;
  // The base set survives one more change: a publish that read the draft just before this change may still
  // commit a version pointing at it (it cannot once the draft revision moves on, so the next change drops it
  // unless a version uses it).
  const sets = keepSets(document, [...retain, ...(baseSetId ? [baseSetId] : [])]);
  if (setId) sets[setId] = set;
  return { document: { format: 1, values: usedValues(values, sets), sets }, ...(setId ? { setId } : {}) };
}

/** The document with only the sets in `keep`, or undefined when that changes nothing. */
export function pruneSecretSets(
  document: SecretDocument,
  keep: readonly string[],
): SecretDocument | undefined {
  const sets = keepSets(document, keep);
  if (Object.keys(sets).length === Object.keys(document.sets).length) return undefined;
  return { format: 1, values: usedValues(document.values, sets), sets };
}

/** A set's values by secret name, or undefined when the document has no such set. */
export function resolveSecretSet(
  document: SecretDocument,
  setId: string,
): Record<string, string> | undefined {
  const set = document.sets[setId];
  if (!set) return undefined;
  const resolved: Record<string, string> = {};
  for (const [name, ref] of Object.entries(set)) resolved[name] = document.values[ref] ?? '';
  return resolved;
}

/** Parses a stored document; the error never quotes the text, which is the secret. */
export function parseSecretDocument(text: string, owner: string): SecretDocument {
  try {
    const parsed = JSON.parse(text) as SecretDocument;
    if (parsed.format === 1 && typeof parsed.values === 'object' && typeof parsed.sets === 'object')
      return parsed;
  } catch {
    // fall through
  }
  throw new Error(`The secret of ${owner} does not hold the registry's JSON document`);
}

function keepSets(
  document: SecretDocument,
  ids: readonly string[],
): Record<string, Readonly<Record<string, string>>> {
  const sets: Record<string, Readonly<Record<string, string>>> = {};
  for (const id of ids) {
    const kept = document.sets[id];
    if (kept) sets[id] = kept;
  }
  return sets;
}

/** Values that some retained set still points at; the rest are dropped (garbage collection). */
function usedValues(
  values: Readonly<Record<string, string>>,
  sets: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Record<string, string> {
  const used: Record<string, string> = {};
  for (const set of Object.values(sets)) {
    for (const ref of Object.values(set)) {
      const value = values[ref];
      if (value !== undefined) used[ref] = value;
    }
  }
  return used;
}
