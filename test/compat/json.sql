-- JSON and JSONB columns: storing documents, -> and ->> (also chained and with array indexes),
-- filtering and grouping on extracted fields, json_build_object / jsonb_build_object.
CREATE TABLE compat_docs (
  id INTEGER PRIMARY KEY,
  body JSONB NOT NULL,
  meta JSON
);

INSERT INTO compat_docs VALUES
  (1, '{"name": "alpha", "tags": ["x", "y"], "size": 3, "owner": {"id": 7, "name": "ann"}}', '{"v": 1}'),
  (2, '{"name": "beta", "tags": [], "size": 10, "owner": {"id": 8, "name": "bob"}}', NULL),
  (3, '{"name": "gamma", "size": 1, "active": true}', '{"v": 2}');

SELECT id, body ->> 'name' AS name, body -> 'size' AS size_json, body ->> 'size' AS size_text FROM compat_docs ORDER BY id;

SELECT id, body -> 'owner' ->> 'name' AS owner_name, body -> 'tags' ->> 0 AS first_tag FROM compat_docs ORDER BY id;

SELECT id, body -> 'owner' AS owner FROM compat_docs ORDER BY id;

SELECT id FROM compat_docs WHERE body ->> 'name' = 'beta';

SELECT id FROM compat_docs WHERE (body ->> 'size')::int > 2 ORDER BY id;

SELECT sum((body ->> 'size')::int) AS total_size FROM compat_docs;

SELECT id, body ->> 'missing' AS missing, meta ->> 'v' AS v FROM compat_docs ORDER BY id;

SELECT body ->> 'name' AS name FROM compat_docs ORDER BY (body ->> 'size')::int DESC;

SELECT id, body FROM compat_docs WHERE id = 3;

SELECT '{"a": {"b": [10, 20]}}'::jsonb -> 'a' -> 'b' ->> 1 AS second;

UPDATE compat_docs SET body = '{"name": "beta", "size": 11}' WHERE id = 2 RETURNING id, body ->> 'size' AS size;

DROP TABLE compat_docs;
