/**
 * The summary rows a benchmark hands to `npm run bench` (bench/run-all.ts). Each benchmark
 * still prints its own figures; when the runner starts it, `BENCH_SUMMARY_FILE` names a file
 * the benchmark appends its rows to (one JSON line each), and the runner turns all of them
 * into one table. Run on its own, a benchmark writes nothing extra.
 */
import { appendFileSync } from 'node:fs';

export type SummaryRow = {
  /** What was measured, as the table names it ("POST /api/clients, 32 in flight"). */
  what: string;
  /** The figure with its unit and the latencies that matter ("184/s · p99 453 ms"). */
  figure: string;
  /** The same-run baseline it is divided by, with its unit; "—" when there is none. */
  baseline: string;
  /** figure / baseline as a percentage, or null when there is no baseline. */
  ratio: number | null;
  /** The target, for the reader ("≥ 1,000/s · p99 < 50 ms"). */
  goal: string;
};

export function recordSummary(bench: string, rows: readonly SummaryRow[]): void {
  const file = process.env.BENCH_SUMMARY_FILE;
  if (!file) return;
  for (const row of rows) appendFileSync(file, `${JSON.stringify({ bench, ...row })}\n`);
}

/** A ratio as the table prints it: 1.4%, 28%, 112%. */
export const pct = (ratio: number | null): string => (ratio === null ? '—' : ratio < 10 ? `${ratio.toFixed(1)}%` : `${Math.round(ratio)}%`);
