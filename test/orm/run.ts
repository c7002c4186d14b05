// Runs one ORM program by hand against a server and writes its record (and, with --trace FILE, every
// statement `pg` sent with the server's errors):
// `node dist/test/orm/run.js drizzle 127.0.0.1:5432 [user] [database] [--out FILE] [--trace FILE]`.
import { writeFileSync } from 'node:fs';
import { programs } from './programs.js';
import { installTracer, jsonable, takeTrace, unexpectedErrors } from './record.js';

function option(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const positional = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const [name, hostPort, user = 'postgres', database = 'postgres'] = positional;
const program = programs.find((p) => p.name === name);
if (!program || !hostPort) {
  console.error(
    `usage: run.js <${programs.map((p) => p.name).join('|')}> host:port [user] [database] [--out FILE] [--trace FILE]`,
  );
  process.exit(2);
}
const [host, port] = hostPort.split(':');
const db = { host: host!, port: Number(port), user, database };
installTracer();
const record = {
  migrate: await program.migrate(db),
  app: await program.app(db),
  down: await program.down(db),
};
const traceFile = option('--trace');
if (traceFile) writeFileSync(traceFile, JSON.stringify(jsonable(takeTrace()), null, 1));
const text = JSON.stringify(record, null, 1);
const outFile = option('--out');
if (outFile) writeFileSync(outFile, text);
else console.log(text);
const errors = unexpectedErrors(record);
console.error(`${errors.length} steps failed${errors.length ? `:\n${errors.join('\n')}` : ''}`);
