import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Auth0 sends the configured Authorization value verbatim: `Bearer x`, `Basic x`, or just `x`. Both the whole
 * header and the part after a scheme are candidates, so a token configured either way works.
 */
export function presentedCandidates(header: string | undefined): string[] {
  const value = header?.trim();
  if (!value) return [];
  const spaced = /^[A-Za-z][A-Za-z0-9._~+/-]*\s+(\S.*)$/.exec(value);
  return spaced?.[1] ? [value, spaced[1].trim()] : [value];
}

/**
 * Whether the header carries one of the valid tokens. Every candidate is compared with every token through
 * fixed-length digests and `timingSafeEqual`, without stopping early, so the time taken says nothing about
 * how much of a token was right, nor its length.
 */
export function isAuthorized(header: string | undefined, validTokens: readonly string[]): boolean {
  const candidates = presentedCandidates(header).map(digest);
  let matched = false;
  for (const token of validTokens) {
    if (token.length === 0) continue;
    const expected = tokenDigest(token);
    for (const candidate of candidates) {
      matched = timingSafeEqual(candidate, expected) || matched;
    }
  }
  return matched;
}

/** One-shot `crypto.hash` (Node.js 21.7 and later): several times cheaper than a Hash object for short text. */
const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

/**
 * The digests of the valid tokens, kept between requests (they change only when the secret is rotated); a few
 * at most, so a rotation cannot make it grow without end.
 */
const tokenDigests = new Map<string, Buffer>();
const MAX_TOKEN_DIGESTS = 8;

function tokenDigest(token: string): Buffer {
  let known = tokenDigests.get(token);
  if (known === undefined) {
    known = digest(token);
    if (tokenDigests.size >= MAX_TOKEN_DIGESTS) tokenDigests.clear();
    tokenDigests.set(token, known);
  }
  return known;
}
