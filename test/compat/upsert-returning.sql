-- Upserts and RETURNING: INSERT ... ON CONFLICT (cols) DO UPDATE SET ... = EXCLUDED...., with a
-- WHERE, ON CONFLICT DO NOTHING (with and without a conflict target), ON CONSTRAINT-less unique
-- indexes, RETURNING of inserted and updated rows, counters incremented in place.
CREATE TABLE compat_counters (
  name TEXT PRIMARY KEY,
  hits INTEGER NOT NULL DEFAULT 0,
  updated_on DATE
);

CREATE TABLE compat_users (
  id SERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  display TEXT
);

INSERT INTO compat_counters (name, hits) VALUES ('home', 1), ('about', 1) RETURNING name, hits;

INSERT INTO compat_counters (name, hits) VALUES ('home', 1)
ON CONFLICT (name) DO UPDATE SET hits = compat_counters.hits + EXCLUDED.hits
RETURNING name, hits;

INSERT INTO compat_counters (name, hits) VALUES ('home', 5), ('contact', 2)
ON CONFLICT (name) DO UPDATE SET hits = compat_counters.hits + excluded.hits, updated_on = '2024-06-01'
RETURNING name, hits, updated_on;

INSERT INTO compat_counters (name, hits) VALUES ('about', 100)
ON CONFLICT (name) DO UPDATE SET hits = EXCLUDED.hits WHERE compat_counters.hits > 50
RETURNING name, hits;

INSERT INTO compat_counters (name, hits) VALUES ('about', 7) ON CONFLICT DO NOTHING RETURNING name;

INSERT INTO compat_counters (name, hits) VALUES ('about', 7), ('faq', 3) ON CONFLICT (name) DO NOTHING;

SELECT name, hits, updated_on FROM compat_counters ORDER BY name;

UPDATE compat_counters SET hits = hits * 2 WHERE hits < 5 RETURNING name, hits;

DELETE FROM compat_counters WHERE name = 'faq' RETURNING *;

DELETE FROM compat_counters WHERE name = 'nothing-here' RETURNING name;

INSERT INTO compat_users (email, display) VALUES ('a@example.com', 'A'), ('b@example.com', NULL) RETURNING id, email;

INSERT INTO compat_users (id, email, display) VALUES (1, 'a2@example.com', 'A2')
ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, display = EXCLUDED.display
RETURNING id, email, display;

INSERT INTO compat_users (id, email, display) VALUES (2, 'b@example.com', 'B')
ON CONFLICT (email) DO UPDATE SET display = COALESCE(compat_users.display, EXCLUDED.display)
RETURNING id, email, display;

-- error: 23505
INSERT INTO compat_users (id, email) VALUES (50, 'a2@example.com') ON CONFLICT (id) DO NOTHING;

SELECT id, email, display FROM compat_users ORDER BY id;

-- chorus-error: 0A000 data-modifying statements inside WITH (SQLite's WITH takes only SELECT)
WITH moved AS (
  DELETE FROM compat_counters WHERE hits > 10 RETURNING name, hits
)
SELECT count(*) AS n FROM moved;

DROP TABLE compat_counters;

DROP TABLE compat_users;
