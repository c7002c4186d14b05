// What the benchmarks print about the machine they run on: cores, memory and load, and whether other
// ChorusDB servers were already running (a busy machine gives lower, noisier numbers).
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadavgText } from './report.js';

/** Cores, CPU model, RAM, OS and load averages on one line (the `machine :` line of the headers). */
export function machineText(): string {
  const cpus = os.cpus();
  return (
    `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ` +
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, loadavg ${loadavgText()}`
  );
}

/** ChorusDB server processes on this machine that this benchmark did not start (other runs, tests). */
export async function foreignChorusServers(): Promise<number> {
  let count = 0;
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (argv.some((a) => a.endsWith(path.join('src', 'cli', 'main.js'))) && argv.includes('server'))
        count++;
    } catch {
      // Process vanished or is not readable.
    }
  }
  return count;
}
