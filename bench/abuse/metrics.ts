/**
 * What the server did about an attack, from its own `/metrics` (Prometheus text format
 * 0.0.4) read before and after: every counter that moved, and the ones that say it
 * defended itself — drops by reason, errors and refusals by code, closes and cuts, failed
 * requests. Matched by name and label, not by a fixed list, so that counters added by later
 * commits (a cap that bites, a new drop reason) show up without changing this file.
 */

/** `name{labels}` → value. */
export type Samples = Map<string, number>;

/** Parses the sample lines of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): { samples: Samples; types: Map<string, string> } {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (name !== undefined && type !== undefined) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (space > 0 && Number.isFinite(value)) samples.set(line.slice(0, space), value);
  }
  return { samples, types };
}

/** The metric family of a series (`a_total{x="y"}` → `a_total`). */
export function family(series: string): string {
  const brace = series.indexOf('{');
  return brace < 0 ? series : series.slice(0, brace);
}

/** Counters (and series of unknown type) that moved between two readings: series → increase. */
export function counterDeltas(
  before: Samples,
  after: Samples,
  types: ReadonlyMap<string, string>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [series, value] of after) {
    const type = types.get(family(series));
    if (type === 'gauge') continue;
    const delta = value - (before.get(series) ?? 0);
    if (delta !== 0) out.set(series, delta);
  }
  return out;
}

/** Series that say the server defended itself or failed someone. */
const DEFENCE = /dropped|error|refused|rejected|reject|denied|closed|cut|evict|limit|fail|timeout|quota|cap|kick/i;
/** Process and benchmark noise: never a defence. */
const NOISE = /^(process_|nodejs_)|route="(metrics|healthz)"/;
/** HTTP and STUN/TURN answers that refuse (4xx, 5xx; error results). */
const REFUSAL = /status="[45]\d\d"|result="(error|failure|[45]\d\d)[^"]*"|code="[45]\d\d"/;

/** The moved counters that say what the server did, largest first. */
export function defences(deltas: ReadonlyMap<string, number>): [string, number][] {
  return [...deltas.entries()]
    .filter(([series]) => !NOISE.test(series) && (DEFENCE.test(series) || REFUSAL.test(series)))
    .sort((a, b) => b[1] - a[1]);
}

/** The moved counters that are not defences (what reached the server), largest first. */
export function otherCounters(deltas: ReadonlyMap<string, number>, limit = 6): [string, number][] {
  return [...deltas.entries()]
    .filter(([series]) => !NOISE.test(series) && !DEFENCE.test(series) && !REFUSAL.test(series))
    .filter(([series]) => !series.startsWith('itda_http_requests_total'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit);
}

/** Gauges of interest before → after (connections, allocations, transports). */
export function gaugeChanges(
  before: Samples,
  after: Samples,
  types: ReadonlyMap<string, string>,
): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const [series, value] of after) {
    if (types.get(family(series)) !== 'gauge' || NOISE.test(series)) continue;
    const was = before.get(series) ?? 0;
    if (was !== value) out.push([series, was, value]);
  }
  return out;
}

/** GETs `/metrics`, or undefined when the server does not answer within `timeoutMs`. */
export async function readMetrics(
  url: string,
  timeoutMs = 3000,
): Promise<{ samples: Samples; types: Map<string, string> } | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return undefined;
    return parseMetrics(await res.text());
  } catch {
    return undefined;
  }
}
