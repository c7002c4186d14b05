// The ORM programs of the compatibility suite, in the order the suite runs them (drizzle first: on a
// ChorusDB node, which has one database, drizzle-kit push would drop the sequences other programs left).
import { drizzleProgram } from './drizzle/program.js';
import { knexProgram } from './knex/program.js';
import { kyselyProgram } from './kysely/program.js';
import type { OrmProgram } from './record.js';
import { typeormProgram } from './typeorm/program.js';

export const programs: OrmProgram[] = [drizzleProgram, kyselyProgram, knexProgram, typeormProgram];
