// current_setting(name [, missing_ok]) and set_config(name, value, is_local): functions of the
// session, not of SQLite. Their arguments must be constants or parameters; the session reads or
// changes the setting when the statement is bound (bind sources `setting` and `set_config`).

import { ChorusError, FeatureNotSupportedError } from '../../../../errors.js';
import { type PgType, ref, T } from '../../../types/pg-types.js';
import { type AnalyzeState, type BindSource, bindMarker, type Typed, typed } from '../../context.js';
import { coerce } from '../coercion/coerce.js';

const markerOnly = new RegExp(`^${bindMarker}(\\d+)${bindMarker}$`);

/** Where a constant or parameter argument's value comes from, once coerced to `type`. */
function argSource(st: AnalyzeState, fn: string, a: Typed, type: PgType, position?: number): BindSource {
  const e = coerce(st, a, ref(type), 'implicit', position);
  if (e.constant !== undefined) return { kind: 'value', value: e.constant };
  const m = markerOnly.exec(e.sql);
  if (m) return st.sources[Number(m[1])]!;
  throw new FeatureNotSupportedError(`${fn}() with an argument computed by the query`, {
    position,
    hint: 'Pass constants or parameters.',
  });
}

function wrongArgs(fn: string, args: readonly Typed[], position?: number): ChorusError {
  const shown = args.map((a) => (a.type === T.unknown ? 'unknown' : a.type.name)).join(', ');
  return new ChorusError('42883', `function ${fn}(${shown}) does not exist`, {
    hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    position,
  });
}

/** current_setting(name) / current_setting(name, missing_ok): NULL for a NULL argument (strict). */
export function currentSetting(st: AnalyzeState, args: readonly Typed[], position?: number): Typed {
  if (args.length < 1 || args.length > 2) throw wrongArgs('current_setting', args, position);
  const name = argSource(st, 'current_setting', args[0]!, T.text, position);
  const missingOk =
    args.length === 2 ? argSource(st, 'current_setting', args[1]!, T.bool, position) : undefined;
  if (name.kind === 'value' && (missingOk === undefined || missingOk.kind === 'value')) {
    if (name.value === null || missingOk?.value === null) return typed('NULL', T.text);
    return typed(
      st.marker({
        kind: 'setting',
        name: String(name.value).toLowerCase(),
        missingOk: missingOk !== undefined && Number(missingOk.value) === 1,
      }),
      T.text,
    );
  }
  return typed(st.marker({ kind: 'current_setting', name, missingOk }), T.text);
}

/** set_config(name, value, is_local): the session applies it as SET / SET LOCAL would. */
export function setConfig(st: AnalyzeState, args: readonly Typed[], position?: number): Typed {
  if (args.length !== 3) throw wrongArgs('set_config', args, position);
  return typed(
    st.marker({
      kind: 'set_config',
      name: argSource(st, 'set_config', args[0]!, T.text, position),
      value: argSource(st, 'set_config', args[1]!, T.text, position),
      isLocal: argSource(st, 'set_config', args[2]!, T.bool, position),
    }),
    T.text,
  );
}
