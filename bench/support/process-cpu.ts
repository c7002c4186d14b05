// CPU time of a server process tree from /proc (Linux): what a benchmark charges to the server
// for a run, which contention from other processes on the machine moves far less than wall time.
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
  const parse = (stat: string): number[] =>
    stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  // Fields after "pid (comm) ": [0]=state [1]=ppid ... [11]=utime [12]=stime [13]=cutime [14]=cstime.
  const own = parse(await readFile(`/proc/${pid}/stat`, 'utf8'));
  let ticks = own[11]! + own[12]! + own[13]! + own[14]!;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const f = parse(await readFile(`/proc/${entry}/stat`, 'utf8'));
      if (f[1] === pid) ticks += f[11]! + f[12]!;
    } catch {
      // Process vanished between readdir and readFile.
    }
  }
  return ticks;
}
