-- DDL and DML as PostgreSQL users write them: SERIAL / BIGSERIAL / IDENTITY keys, storage options,
-- constraints and their SQLSTATEs, INSERT/UPDATE/DELETE ... RETURNING, views, ALTER TABLE, joins,
-- subqueries, CTEs, GROUP BY / HAVING / ORDER BY / LIMIT / OFFSET, TRUNCATE, multi-table DROP,
-- VACUUM / ANALYZE. Statements that fail name their SQLSTATE; they give explicit ids, because a
-- failed INSERT still consumes a PostgreSQL sequence value.
CREATE TABLE compat_customers (
  id SERIAL PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  email TEXT UNIQUE,
  country CHAR(2) DEFAULT 'US'
) WITH (fillfactor = 90);

CREATE TABLE compat_orders (
  id BIGSERIAL PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES compat_customers (id),
  amount NUMERIC(10, 2) NOT NULL CHECK (amount >= 0),
  status TEXT NOT NULL DEFAULT 'new',
  placed_on DATE NOT NULL
);

CREATE TABLE compat_events (
  id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL
) WITH (fillfactor = 70, autovacuum_enabled = false);

CREATE TABLE IF NOT EXISTS compat_events (id INTEGER PRIMARY KEY);

CREATE INDEX compat_orders_customer_idx ON compat_orders (customer_id);

CREATE UNIQUE INDEX IF NOT EXISTS compat_orders_status_idx ON compat_orders (customer_id, placed_on, status);

INSERT INTO compat_customers (name, email, country)
VALUES ('Alice', 'alice@example.com', 'GB'), ('Bob', 'bob@example.com', 'US'), ('Carol', NULL, 'DE')
RETURNING id, name, country;

INSERT INTO compat_customers (name, email) VALUES ('Dave', 'dave@example.com') RETURNING id, country;

INSERT INTO compat_orders (customer_id, amount, status, placed_on) VALUES
  (1, 10.50, 'paid', '2024-01-05'),
  (1, 20.00, 'paid', '2024-01-20'),
  (2, 5.25, 'new', '2024-02-01'),
  (2, 99.99, 'paid', '2024-02-14'),
  (3, 0, 'cancelled', '2024-03-01'),
  (1, 7.75, 'new', '2024-03-02');

INSERT INTO compat_events (kind) VALUES ('signup'), ('login'), ('login') RETURNING id, kind;

-- error: 23505
INSERT INTO compat_customers (id, name, email) VALUES (100, 'Eve', 'alice@example.com');

-- error: 23505
INSERT INTO compat_customers (id, name) VALUES (1, 'Duplicate id');

-- error: 23502
INSERT INTO compat_customers (id, name) VALUES (101, NULL);

-- error: 23503
INSERT INTO compat_orders (id, customer_id, amount, placed_on) VALUES (100, 42, 1, '2024-01-01');

-- error: 23514
INSERT INTO compat_orders (id, customer_id, amount, placed_on) VALUES (101, 1, -5, '2024-01-01');

-- error: 42P01
SELECT * FROM compat_no_such_table;

-- error: 42703
SELECT no_such_column FROM compat_customers;

-- error: 42601
SELECT FROM WHERE;

-- error: 42P07
CREATE TABLE compat_customers (id INTEGER PRIMARY KEY);

SELECT id, name, email, country FROM compat_customers ORDER BY id;

UPDATE compat_orders SET status = 'shipped' WHERE status = 'paid' AND amount > 15 RETURNING id, status;

UPDATE compat_customers SET country = 'FR' WHERE id = 4;

DELETE FROM compat_events WHERE kind = 'login' RETURNING id;

SELECT c.name, o.id AS order_id, o.amount, o.status
FROM compat_customers c
JOIN compat_orders o ON o.customer_id = c.id
ORDER BY c.name, o.id;

SELECT c.name, count(o.id) AS orders, COALESCE(sum(o.amount), 0) AS total
FROM compat_customers c
LEFT JOIN compat_orders o ON o.customer_id = c.id
GROUP BY c.name
ORDER BY total DESC, c.name;

SELECT customer_id, count(*) AS n, max(amount) AS biggest
FROM compat_orders
GROUP BY customer_id
HAVING count(*) > 1
ORDER BY customer_id;

SELECT id, amount FROM compat_orders ORDER BY amount DESC LIMIT 2 OFFSET 1;

SELECT id FROM compat_orders ORDER BY id LIMIT 3;

SELECT name FROM compat_customers
WHERE id IN (SELECT customer_id FROM compat_orders WHERE status = 'new')
ORDER BY name;

SELECT name FROM compat_customers c
WHERE NOT EXISTS (SELECT 1 FROM compat_orders o WHERE o.customer_id = c.id)
ORDER BY name;

SELECT name, (SELECT count(*) FROM compat_orders o WHERE o.customer_id = c.id) AS order_count
FROM compat_customers c
ORDER BY id;

WITH totals AS (
  SELECT customer_id, sum(amount) AS total FROM compat_orders GROUP BY customer_id
)
SELECT c.name, t.total
FROM totals t JOIN compat_customers c ON c.id = t.customer_id
WHERE t.total > 10
ORDER BY t.total DESC;

WITH RECURSIVE n (x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5)
SELECT x, x * x AS square FROM n ORDER BY x;

SELECT DISTINCT status FROM compat_orders ORDER BY status;

SELECT status FROM compat_orders WHERE amount < 10
UNION
SELECT 'big' FROM compat_orders WHERE amount >= 90
ORDER BY 1;

SELECT id, CASE WHEN amount >= 50 THEN 'large' WHEN amount >= 10 THEN 'medium' ELSE 'small' END AS size
FROM compat_orders
ORDER BY id;

CREATE VIEW compat_paid AS SELECT id, customer_id, amount FROM compat_orders WHERE status IN ('paid', 'shipped');

SELECT id, amount FROM compat_paid ORDER BY id;

DROP VIEW compat_paid;

ALTER TABLE compat_customers ADD COLUMN vip BOOLEAN NOT NULL DEFAULT false;

UPDATE compat_customers SET vip = true WHERE id IN (1, 2);

SELECT id, vip FROM compat_customers WHERE vip ORDER BY id;

ALTER TABLE compat_customers RENAME COLUMN vip TO is_vip;

SELECT count(*) AS vips FROM compat_customers WHERE is_vip = true;

ALTER TABLE compat_events RENAME TO compat_audit;

SELECT id, kind FROM compat_audit ORDER BY id;

VACUUM compat_orders;

VACUUM (ANALYZE) compat_orders;

ANALYZE compat_orders, compat_customers;

ANALYZE;

TRUNCATE compat_audit RESTART IDENTITY;

INSERT INTO compat_audit (kind) VALUES ('after truncate') RETURNING id, kind;

TRUNCATE TABLE compat_orders, compat_customers;

SELECT count(*) AS n FROM compat_customers;

DROP TABLE compat_orders, compat_customers;

DROP TABLE IF EXISTS compat_audit, compat_never_created;

-- error: 42P01
DROP TABLE compat_audit;

-- DROP TABLE ... CASCADE drops other tables' foreign keys to it (drizzle-kit's down push).
CREATE TABLE compat_cas_parent (id int PRIMARY KEY);

CREATE TABLE compat_cas_child (id int PRIMARY KEY, pid int REFERENCES compat_cas_parent ON DELETE CASCADE);

INSERT INTO compat_cas_parent VALUES (1);

INSERT INTO compat_cas_child VALUES (10, 1);

-- error: 2BP01
DROP TABLE compat_cas_parent;

DROP TABLE compat_cas_parent CASCADE;

SELECT * FROM compat_cas_child;

INSERT INTO compat_cas_child VALUES (11, 99);

SELECT conname FROM pg_constraint WHERE conrelid = 'compat_cas_child'::regclass ORDER BY 1;

DROP TABLE compat_cas_child;
