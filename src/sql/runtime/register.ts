// Registers every runtime function the front end's SQL calls, on one connection (writer, readers,
// admin): checks and casts, text, regular expressions, JSON, numeric, dates and times, and the
// table-valued pg_generate_series.

import type Database from 'better-sqlite3';
import { ChorusError } from '../../errors.js';
import { timestampPlInterval, timestamptzPlInterval } from '../types/datetime/datetime-arith.js';
import { decodeInterval } from '../types/interval/interval.js';
import { sessionTimeZone } from '../types/timezone/timezone.js';
import { registerAggregateFunctions } from './aggregate-functions.js';
import { registerArrayFunctions } from './array-functions.js';
import { registerCastFunctions, registerDateTimeCasts } from './cast.js';
import { registerCoreFunctions } from './core-functions.js';
import { registerDateTimeFunctions } from './datetime-functions.js';
import { registerEnumFunctions } from './enum-functions.js';
import { registerFormattingFunctions } from './formatting/register-formatting.js';
import { registerJsonFunctions } from './json-functions.js';
import { registerLateralFunctions } from './lateral.js';
import { numericSeries, registerMiscFunctions } from './misc-functions.js';
import { registerNumericFunctions } from './numeric-functions.js';
import { registerRegexArrayFunctions } from './regex-array-functions.js';
import { registerStatFunctions } from './stat-functions.js';
import { registerTextFunctions } from './text-functions.js';

/** Rows one generate_series call may produce (a bound on runaway series). */
export const generateSeriesRowsMax = 100_000_000;

export function registerRuntime(db: Database.Database, versionString: string): void {
  registerCoreFunctions(db);
  registerCastFunctions(db);
  registerDateTimeCasts(db);
  registerTextFunctions(db);
  registerJsonFunctions(db);
  registerNumericFunctions(db);
  registerDateTimeFunctions(db);
  registerAggregateFunctions(db);
  registerLateralFunctions(db);
  registerStatFunctions(db);
  registerMiscFunctions(db);
  registerFormattingFunctions(db);
  registerArrayFunctions(db);
  registerRegexArrayFunctions(db);
  registerEnumFunctions(db);
  db.function('pg_version', { deterministic: true }, () => versionString);
  db.table('pg_generate_series', {
    columns: ['c1'],
    parameters: ['start', 'stop', 'step', 'kind', 'tz'],
    safeIntegers: true,
    *rows(...args: unknown[]) {
      const [start, stop, step, kind, tz] = args;
      if (start === null || stop === null || step === null) return;
      // (A NULL argument never reaches here: SQLite finds no row for `arg = NULL`, as PostgreSQL's
      // strict generate_series returns none.)
      if (kind === 'numeric') {
        for (const v of numericSeries(
          start as Uint8Array,
          stop as Uint8Array,
          step as Uint8Array,
          generateSeriesRowsMax,
        ))
          yield [v];
        return;
      }
      if (kind === 'int') {
        const s = BigInt(step as bigint);
        if (s === 0n) throw new ChorusError('22023', 'step size cannot equal zero');
        let n = 0;
        for (
          let v = BigInt(start as bigint);
          s > 0n ? v <= BigInt(stop as bigint) : v >= BigInt(stop as bigint);
          v += s
        ) {
          if (++n > generateSeriesRowsMax)
            throw new ChorusError('54000', `generate_series: more than ${generateSeriesRowsMax} rows`);
          yield [v];
        }
        return;
      }
      const iv = decodeInterval(step as Uint8Array);
      if (iv.months === 0 && iv.days === 0 && iv.micros === 0n) {
        throw new ChorusError('22023', 'step size cannot equal zero');
      }
      const zone = kind === 'timestamptz' ? sessionTimeZone(String(tz)) : null;
      const stopAt = BigInt(stop as bigint);
      const forward = iv.months * 30 * 86400e6 + iv.days * 86400e6 + Number(iv.micros) > 0;
      let n = 0;
      for (let v = BigInt(start as bigint); forward ? v <= stopAt : v >= stopAt; ) {
        if (++n > generateSeriesRowsMax)
          throw new ChorusError('54000', `generate_series: more than ${generateSeriesRowsMax} rows`);
        yield [v];
        v = zone ? timestamptzPlInterval(v, iv, zone) : timestampPlInterval(v, iv);
      }
    },
  });
}
