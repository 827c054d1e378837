/** "Did you mean" help for names a user typed: route codes, categories, context keys. */

/** The candidates closest to `input` by edit distance, best first, for "did you mean" messages. */
export function closestMatches(input: string, candidates: readonly string[], limit = 3): string[] {
  const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(input, candidate) }));
  const threshold = Math.max(2, Math.ceil(input.length / 2));
  return scored
    .filter(({ candidate, distance }) => distance <= threshold || candidate.startsWith(input))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
