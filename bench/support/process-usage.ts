// CPU time and memory of a server process tree from /proc (Linux): what a benchmark charges to the
// server for a run (CPU time, which contention from other processes moves far less than wall time)
// and what it holds (RSS, and PSS, which counts pages shared between processes once in total).
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Clock ticks per second when getconf cannot say (Linux's usual USER_HZ). */
export const clockTicksDefault = 100;

/** The kernel's clock ticks per second (getconf CLK_TCK). */
export async function clockTicksPerSecond(): Promise<number> {
  try {
    return Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim()) || clockTicksDefault;
  } catch {
    return clockTicksDefault;
  }
}

/** utime+stime (+ reaped children's cutime+cstime) of pid and its live children, in clock ticks. */
export async function processTreeCpuTicks(pid: number): Promise<number> {
  // Fields after "pid (comm) ": [0]=state [1]=ppid ... [11]=utime [12]=stime [13]=cutime [14]=cstime.
  const own = statFields(await readFile(`/proc/${pid}/stat`, 'utf8'));
  let ticks = own[11]! + own[12]! + own[13]! + own[14]!;
  for (const child of await childrenOf(pid)) {
    try {
      const f = statFields(await readFile(`/proc/${child}/stat`, 'utf8'));
      ticks += f[11]! + f[12]!;
    } catch {
      // Process vanished between the scan and this read.
    }
  }
  return ticks;
}

/** The fields of a /proc/<pid>/stat line after "pid (comm) ", as numbers. */
function statFields(stat: string): number[] {
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/** The live children of pid (one level: PostgreSQL's backends under the postmaster). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      if (statFields(await readFile(`/proc/${entry}/stat`, 'utf8'))[1] === pid) out.push(Number(entry));
    } catch {
      // Process vanished between readdir and readFile.
    }
  }
  return out;
}

/** RSS and PSS in KiB of pid and its live children, summed (PSS from smaps_rollup). */
export async function processTreeMemoryKb(pid: number): Promise<{ rssKb: number; pssKb: number }> {
  let rssKb = 0;
  let pssKb = 0;
  for (const p of [pid, ...(await childrenOf(pid))]) {
    try {
      const text = await readFile(`/proc/${p}/smaps_rollup`, 'utf8');
      rssKb += Number(/^Rss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
      pssKb += Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    } catch {
      // Process gone, or smaps_rollup not readable: counted as nothing.
    }
  }
  return { rssKb, pssKb };
}
