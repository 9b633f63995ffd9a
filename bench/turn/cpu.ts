/**
 * User and system CPU time of one process (all threads) from /proc/<pid>/stat (proc(5)
 * fields 14 utime and 15 stime, in clock ticks): the split shows whether a server's time
 * goes to the kernel (the same UDP work for every server) or to its own code.
 */
import { readFileSync } from 'node:fs';
import { clockTicks } from '../signal/proc.ts';

export interface CpuSplit {
  userUs: number;
  systemUs: number;
}

export function cpuSplit(pid: number): CpuSplit {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 1_000_000 / clockTicks();
  return { userUs: Number(rest[11]) * tick, systemUs: Number(rest[12]) * tick };
}
