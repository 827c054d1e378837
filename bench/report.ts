/**
 * What every part of `npm run bench` reports: one figure per goal of issue 9, as a ratio against a baseline
 * measured in the same run, so the numbers mean the same on any machine.
 */
export interface Figure {
  /** The goal's number and name, e.g. `1. Cold start`. */
  readonly goal: string;
  /** What was measured, in words and raw numbers: `import + first request: ingest 85 ms, floor 70 ms`. */
  readonly measured: string;
  /** The ratio the goal is about. */
  readonly ratio: number;
  /** The goal, as printed: `≤ 1.3×`. */
  readonly target: string;
  /** Whether the ratio meets the goal. */
  readonly met: boolean;
  /** The raw numbers behind the ratio, for bench/results.json. */
  readonly details?: Readonly<Record<string, number | string>>;
}

/** One part of the bench: measures and returns its figures. Loops are bounded in count and in time. */
export type BenchPart = () => Promise<Figure[]>;

export const atMost = (ratio: number, limit: number) => ({
  ratio,
  target: `≤ ${limit}×`,
  met: ratio <= limit,
});
export const atLeast = (ratio: number, limit: number) => ({
  ratio,
  target: `≥ ${limit}×`,
  met: ratio >= limit,
});
