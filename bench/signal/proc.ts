/**
 * CPU time and memory of one process, from Linux procfs (proc(5)): `utime` + `stime`
 * (fields 14 and 15 of `/proc/<pid>/stat`, in clock ticks) and `VmRSS` / `VmHWM` of
 * `/proc/<pid>/status`. They cover every thread of the process (GC, libuv pool).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond = 0;

/** `getconf CLK_TCK` (100 on Linux), read once. */
export function clockTicks(): number {
  if (ticksPerSecond === 0) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU time used so far by `pid` (user + system), µs. Resolution one clock tick (10 ms). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it start past the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14 → rest[11], stime field 15 → rest[12].
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1_000_000) / clockTicks();
}

function statusKiB(pid: number, key: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** Resident set size of `pid` now, bytes. */
export function rssBytes(pid: number): number {
  return statusKiB(pid, 'VmRSS') * 1024;
}

/** Peak resident set size of `pid`, bytes. */
export function peakRssBytes(pid: number): number {
  return statusKiB(pid, 'VmHWM') * 1024;
}

/** The soft and hard limits on open files of this process (`/proc/self/limits`). */
export function openFileLimits(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const num = (s: string | undefined): number => (s === undefined || s === 'unlimited' ? 1 << 30 : Number(s));
  return { soft: num(match?.[1]), hard: num(match?.[2]) };
}
