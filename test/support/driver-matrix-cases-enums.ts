// Driver matrix cases, enum types: an enum column read by each driver (text and binary results), a
// parameter the server types as the enum (ParameterDescription gives its OID) and its input check,
// an enum parameter in an INSERT ... RETURNING, order by declaration.
import type { Case } from './driver-matrix-dsl.js';
import { fails, returning, rows, single } from './driver-matrix-dsl.js';

/** Run on both servers before the cases. */
export const ENUM_SCHEMA: string[] = [
  "CREATE TYPE dm_mood AS ENUM ('sad', 'ok', 'happy')",
  'CREATE TABLE dm_moods (id int PRIMARY KEY, m dm_mood)',
  "INSERT INTO dm_moods VALUES (1, 'happy'), (2, 'sad'), (3, NULL), (4, 'ok')",
  'CREATE TABLE dm_moods_w (id serial PRIMARY KEY, m dm_mood NOT NULL)',
];

export const ENUM_CASES: Case[] = [
  single(
    'types',
    'SELECT id, m FROM dm_moods ORDER BY m, id',
    [],
    rows(
      [
        ['id', 'int4'],
        ['m', 'enum'],
      ],
      ['2', 'sad'],
      ['4', 'ok'],
      ['1', 'happy'],
      ['3', null],
    ),
  ),
  single(
    'parameters',
    'SELECT id FROM dm_moods WHERE m = $1 ORDER BY id',
    ['ok'],
    rows([['id', 'int4']], ['4']),
  ),
  single(
    'parameters',
    'SELECT id, m FROM dm_moods WHERE m > $1 ORDER BY id',
    ['sad'],
    rows(
      [
        ['id', 'int4'],
        ['m', 'enum'],
      ],
      ['1', 'happy'],
      ['4', 'ok'],
    ),
  ),
  single(
    'parameters',
    'INSERT INTO dm_moods_w (m) VALUES ($1) RETURNING m, m::text AS t',
    ['happy'],
    returning(
      'INSERT',
      [
        ['m', 'enum'],
        ['t', 'text'],
      ],
      ['happy', 'happy'],
    ),
  ),
  single(
    'value checks',
    'SELECT id FROM dm_moods WHERE m = $1',
    ['angry'],
    fails('22P02', 'invalid input value for enum dm_mood: "angry"'),
  ),
];
