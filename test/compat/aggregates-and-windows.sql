-- Aggregates and window functions: count / sum / avg / min / max with GROUP BY and HAVING,
-- COUNT(*) OVER(), ROW_NUMBER / RANK / DENSE_RANK / LAG / LEAD, running totals, PARTITION BY,
-- PERCENTILE_CONT / PERCENTILE_DISC WITHIN GROUP, string_agg, bool_and / bool_or, FILTER.
CREATE TABLE compat_sales (
  id INTEGER PRIMARY KEY,
  region TEXT NOT NULL,
  rep TEXT NOT NULL,
  amount NUMERIC(10, 2) NOT NULL,
  units INTEGER NOT NULL
);

INSERT INTO compat_sales VALUES
  (1, 'east', 'ann', 100.00, 1),
  (2, 'east', 'bob', 250.50, 3),
  (3, 'east', 'ann', 75.25, 2),
  (4, 'west', 'cid', 300.00, 5),
  (5, 'west', 'dee', 125.00, 1),
  (6, 'west', 'cid', 50.00, 2),
  (7, 'north', 'eve', 10.00, 10);

SELECT count(*) AS n, sum(amount) AS total, min(amount) AS lo, max(amount) AS hi, sum(units) AS units FROM compat_sales;

SELECT region, count(*) AS n, sum(amount) AS total, round(avg(amount), 2) AS mean, round(avg(units), 3) AS mean_units
FROM compat_sales GROUP BY region ORDER BY region;

SELECT region, sum(amount) AS total FROM compat_sales GROUP BY region HAVING sum(amount) > 200 ORDER BY total DESC;

SELECT rep, count(*) AS deals FROM compat_sales GROUP BY rep HAVING count(*) >= 2 ORDER BY rep;

SELECT count(DISTINCT region) AS regions, count(DISTINCT rep) AS reps FROM compat_sales;

SELECT region, count(*) FILTER (WHERE amount >= 100) AS big, count(*) FILTER (WHERE amount < 100) AS small
FROM compat_sales GROUP BY region ORDER BY region;

SELECT id, region, amount, count(*) OVER () AS total_rows FROM compat_sales ORDER BY id;

SELECT id, region, count(*) OVER (PARTITION BY region) AS in_region, sum(amount) OVER (PARTITION BY region) AS region_total
FROM compat_sales ORDER BY id;

SELECT id, row_number() OVER (ORDER BY amount DESC) AS rn, rank() OVER (ORDER BY units) AS rk, dense_rank() OVER (ORDER BY units) AS drk
FROM compat_sales ORDER BY id;

SELECT id, region, row_number() OVER (PARTITION BY region ORDER BY amount DESC) AS pos
FROM compat_sales ORDER BY region, pos;

SELECT id, amount, sum(amount) OVER (ORDER BY id) AS running, lag(amount) OVER (ORDER BY id) AS prev, lead(id, 2) OVER (ORDER BY id) AS next2
FROM compat_sales ORDER BY id;

SELECT id, first_value(rep) OVER (PARTITION BY region ORDER BY id) AS first_rep, ntile(2) OVER (ORDER BY id) AS half
FROM compat_sales ORDER BY id;

SELECT region, round(100.0 * sum(amount) / sum(sum(amount)) OVER (), 1) AS pct
FROM compat_sales GROUP BY region ORDER BY region;

SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY units) AS median_units, percentile_cont(0.25) WITHIN GROUP (ORDER BY units) AS p25,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY units) AS p90, percentile_disc(0.5) WITHIN GROUP (ORDER BY units) AS disc
FROM compat_sales;

SELECT region, percentile_cont(0.5) WITHIN GROUP (ORDER BY units) AS median_units FROM compat_sales GROUP BY region ORDER BY region;

SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY units DESC) AS p25_desc FROM compat_sales;

SELECT region, string_agg(rep, ',' ORDER BY rep) AS reps FROM compat_sales GROUP BY region ORDER BY region;

SELECT region, bool_and(units > 1) AS all_multi, bool_or(units > 4) AS any_big, every(amount > 0) AS all_positive
FROM compat_sales GROUP BY region ORDER BY region;

SELECT sum(amount) AS total FROM compat_sales WHERE region = 'nowhere';

SELECT count(*) AS n, max(units) AS top FROM compat_sales WHERE region = 'nowhere';

SELECT r.region, r.total, (SELECT count(*) FROM compat_sales s WHERE s.region = r.region AND s.amount > 60) AS above_60
FROM (SELECT region, sum(amount) AS total FROM compat_sales GROUP BY region) r ORDER BY r.total DESC;

WITH ranked AS (
  SELECT id, region, amount, rank() OVER (PARTITION BY region ORDER BY amount DESC) AS rk FROM compat_sales
)
SELECT region, id, amount FROM ranked WHERE rk = 1 ORDER BY region;

DROP TABLE compat_sales;

-- Aggregates as window functions over moving frames: float sums restart as PostgreSQL's do (same rounding).
CREATE TABLE aw_w1 (id int PRIMARY KEY, f float8, r real, n numeric, i int, b bigint, s smallint, iv interval);

INSERT INTO aw_w1 VALUES (1, 0.1, 0.5, 1.10, 1, 10, 1, '1 day'), (2, 0.2, 1.5, 2.205, 2, 20, 2, '2 hours'), (3, 1e16, 2.5, -3, 3, 30, 3, '3 mins'), (4, -1e16, 3.5, 4.5, NULL, NULL, NULL, NULL), (5, 0.3, 4.5, 0, 5, 50, 5, '1 mon');

SELECT id, sum(f) OVER w, avg(f) OVER w, stddev(f) OVER w, variance(r) OVER w FROM aw_w1 WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) ORDER BY id;

SELECT id, sum(f) OVER (ORDER BY id), avg(r) OVER (ORDER BY id), sum(r) OVER () FROM aw_w1 ORDER BY id;

SELECT id, sum(n) OVER w, avg(n) OVER w, sum(i) OVER w, avg(i) OVER w, sum(b) OVER w, avg(b) OVER w, sum(s) OVER w, count(i) OVER w, count(*) OVER w FROM aw_w1 WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY id;

SELECT id, sum(iv) OVER w, avg(iv) OVER w, min(n) OVER w, max(f) OVER w, string_agg(id::text, ',') OVER w, bool_and(i > 1) OVER w, bit_or(i) OVER w FROM aw_w1 WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY id;

SELECT id, stddev_samp(n) OVER w, var_pop(i) OVER w, json_agg(id) OVER w FROM aw_w1 WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) ORDER BY id;

