/**
 * UDP socket buffers for the benchmark: the kernel's caps (net.core.rmem_max /
 * wmem_max, which bound what SO_RCVBUF / SO_SNDBUF can get), raising them for the run
 * when root (the same caps then apply to both servers), and what each server's sockets
 * actually got and dropped (`ss -uanmp`: `rb`, `tb` and `d`, the datagrams the kernel
 * dropped because the socket's receive buffer was full).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const KEYS = ['rmem_max', 'wmem_max'] as const;

function readCore(key: (typeof KEYS)[number]): number {
  try {
    return Number(readFileSync(`/proc/sys/net/core/${key}`, 'utf8').trim());
  } catch {
    return 0;
  }
}

/** What happened to the caps: a line for the report, and how to put them back. */
export interface BufferCaps {
  rmemMax: number;
  wmemMax: number;
  note: string;
  restore(): void;
}

/**
 * Makes sure net.core.rmem_max and wmem_max are at least `bytes` for the run: as root
 * with `sysctl -w` semantics (a write to /proc/sys/net/core/*), put back by `restore()`;
 * otherwise leaves them and says so.
 */
export function ensureBufferCaps(bytes: number): BufferCaps {
  const before = { rmem_max: readCore('rmem_max'), wmem_max: readCore('wmem_max') };
  const changed: [key: (typeof KEYS)[number], old: number][] = [];
  const failed: string[] = [];
  for (const key of KEYS) {
    if (before[key] >= bytes) continue;
    try {
      writeFileSync(`/proc/sys/net/core/${key}`, `${bytes}\n`);
      changed.push([key, before[key]]);
    } catch (err) {
      failed.push(`${key} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const rmemMax = readCore('rmem_max');
  const wmemMax = readCore('wmem_max');
  const parts = [`net.core.rmem_max ${rmemMax}, wmem_max ${wmemMax}`];
  if (changed.length > 0)
    parts.push(
      `set for this run: ${changed.map(([k, old]) => `sysctl -w net.core.${k}=${bytes} (was ${old})`).join(', ')}`,
    );
  if (failed.length > 0)
    parts.push(`could not raise ${failed.join(', ')} to ${bytes}: socket buffers above it are capped for both servers`);
  if (changed.length === 0 && failed.length === 0) parts.push('left as they were');
  return {
    rmemMax,
    wmemMax,
    note: parts.join('; '),
    restore() {
      for (const [key, old] of changed) {
        try {
          writeFileSync(`/proc/sys/net/core/${key}`, `${old}\n`);
        } catch {
          // nothing more to do
        }
      }
    },
  };
}

/** One UDP socket of a process, from `ss`. */
export interface UdpSocketInfo {
  local: string;
  /** Receive and send buffer (bytes, as the kernel accounts them: twice SO_RCVBUF/SO_SNDBUF). */
  rb: number;
  tb: number;
  /** Datagrams dropped on receive (buffer full), since the socket was opened. */
  drops: number;
}

/** The UDP sockets of `pid`; empty when `ss` is missing or fails. */
export function udpSockets(pid: number): UdpSocketInfo[] {
  let text: string;
  try {
    text = execFileSync('ss', ['-uanmp'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const out: UdpSocketInfo[] = [];
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i] as string;
    if (!line.includes(`pid=${pid},`)) continue;
    const mem = /skmem:\(([^)]*)\)/.exec(lines[i + 1] as string)?.[1];
    if (mem === undefined) continue;
    const field = (name: string): number => Number(new RegExp(`(?:^|,)${name}(\\d+)`).exec(mem)?.[1] ?? 0);
    out.push({ local: line.trim().split(/\s+/)[3] ?? '', rb: field('rb'), tb: field('tb'), drops: field('d') });
  }
  return out;
}

/** Receive drops summed over every UDP socket of `pid`. */
export function udpDrops(pid: number): number {
  let n = 0;
  for (const s of udpSockets(pid)) n += s.drops;
  return n;
}
