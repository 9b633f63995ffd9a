/**
 * Can a newcomer still use the server while an attack holds it? Near the end of each attack
 * window: `GET /healthz` and a signaling `join` into a room of its own (from the newcomer's
 * address, server.ts), each bounded, each timed. (Issue 10, hole 4: with its descriptors exhausted the server reset `/healthz` and
 * refused WebSocket joins.)
 */
import { NEWCOMER_ADDRESS } from './server.ts';
import { SignalClient } from './signal-client.ts';

export interface ProbeResult {
  healthz: { ok: boolean; ms: number; error?: string };
  join: { ok: boolean; ms: number; error?: string };
}

async function timed(fn: () => Promise<void>): Promise<{ ok: boolean; ms: number; error?: string }> {
  const t0 = performance.now();
  try {
    await fn();
    return { ok: true, ms: performance.now() - t0 };
  } catch (err) {
    return { ok: false, ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) };
  }
}

export async function probe(url: string, wsUrl: string, timeoutMs = 3000): Promise<ProbeResult> {
  const [healthz, join] = await Promise.all([
    timed(async () => {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    }),
    timed(async () => {
      const room = `probe-${Date.now().toString(36)}`;
      const c = await SignalClient.join(wsUrl, room, 'newcomer', timeoutMs, NEWCOMER_ADDRESS);
      await c.leave(1000);
    }),
  ]);
  return { healthz, join };
}

export function probeText(p: ProbeResult): string {
  const one = (r: ProbeResult['healthz']): string =>
    r.ok ? `ok in ${r.ms.toFixed(0)} ms` : `FAILED after ${r.ms.toFixed(0)} ms (${r.error ?? '?'})`;
  return `/healthz ${one(p.healthz)}; newcomer join ${one(p.join)}`;
}
