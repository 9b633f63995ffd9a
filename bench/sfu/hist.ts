/**
 * A latency histogram with no per-sample allocation: 1 µs buckets up to 10 ms, then 100 µs
 * buckets up to 1 s (anything later lands in the last bucket). Percentiles are exact to the
 * bucket. Histograms from several processes add up bucket by bucket.
 */

const FINE = 10_000;
const COARSE = 9_900;
export const BUCKETS = FINE + COARSE;

export function newHistogram(): Uint32Array {
  return new Uint32Array(BUCKETS);
}

export function record(h: Uint32Array, us: number): void {
  let i: number;
  if (us < FINE) i = us < 0 ? 0 : Math.floor(us);
  else i = Math.min(BUCKETS - 1, FINE + Math.floor((us - FINE) / 100));
  h[i] = (h[i] ?? 0) + 1;
}

/** The value (µs) of bucket `i`'s lower edge. */
function edge(i: number): number {
  return i < FINE ? i : FINE + (i - FINE) * 100;
}

export function addInto(into: Uint32Array, from: ArrayLike<number>): void {
  for (let i = 0; i < BUCKETS; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

export function count(h: Uint32Array): number {
  let n = 0;
  for (const v of h) n += v;
  return n;
}

/** The `q` quantile (0–1) in µs; NaN when empty. */
export function quantile(h: Uint32Array, q: number): number {
  const n = count(h);
  if (n === 0) return Number.NaN;
  const target = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += h[i] ?? 0;
    if (seen >= target) return edge(i);
  }
  return edge(BUCKETS - 1);
}
