import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAuthorized, presentedCandidates } from '../../../lambdas/ingest/authorize';

const TOKEN = 'k3y-0f-the-t3nant_with.dots~';

describe('isAuthorized', () => {
  it.each([
    ['the bare token', TOKEN],
    ['Bearer and the token', `Bearer ${TOKEN}`],
    ['a lower-case scheme', `bearer ${TOKEN}`],
    ['any other scheme', `Token ${TOKEN}`],
    ['surrounding whitespace', `  Bearer   ${TOKEN}  `],
  ])('accepts %s', (_, header) => {
    expect(isAuthorized(header, [TOKEN])).toBe(true);
  });

  it('accepts a token configured with its scheme when Auth0 sends it verbatim', () => {
    expect(isAuthorized('Bearer abc', ['Bearer abc'])).toBe(true);
  });

  it.each([
    ['a missing header', undefined],
    ['an empty header', ''],
    ['a scheme alone', 'Bearer'],
    ['a wrong token', 'Bearer wrong'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token with a suffix', `Bearer ${TOKEN}x`],
    ['the token in another case', `Bearer ${TOKEN.toUpperCase()}`],
  ])('refuses %s', (_, header) => {
    expect(isAuthorized(header, [TOKEN])).toBe(false);
  });

  it('accepts both tokens during a rotation, and only those', () => {
    const tokens = ['new-token', 'old-token'];
    expect(isAuthorized('Bearer new-token', tokens)).toBe(true);
    expect(isAuthorized('Bearer old-token', tokens)).toBe(true);
    expect(isAuthorized('Bearer other-token', tokens)).toBe(false);
  });

  it('never accepts an empty token from the secret', () => {
    expect(isAuthorized('Bearer ', [''])).toBe(false);
    expect(isAuthorized('', [''])).toBe(false);
  });

  it('accepts exactly the presented token and no other (property)', () => {
    const token = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s.trim() === s && !/\s/.test(s));
    fc.assert(
      fc.property(token, token, (valid, presented) => {
        expect(isAuthorized(`Bearer ${presented}`, [valid])).toBe(presented === valid);
      }),
    );
  });
});

describe('presentedCandidates', () => {
  it('offers the whole header and the part after the scheme', () => {
    expect(presentedCandidates('Bearer abc')).toEqual(['Bearer abc', 'abc']);
    expect(presentedCandidates('abc')).toEqual(['abc']);
  });
});
