-- Settings: values PostgreSQL accepts that would change how ChorusDB reads or prints values are
-- refused (0A000) rather than accepted and ignored; the others behave as in PostgreSQL.
-- chorus-error: 0A000 DateStyle other than ISO, MDY
SET DateStyle = 'ISO, DMY';

-- chorus-error: 0A000 DateStyle other than ISO, MDY
SET DateStyle = 'German';

SET DateStyle = 'ISO, MDY';

SHOW DateStyle;

-- chorus-error: 0A000 IntervalStyle other than postgres
SET IntervalStyle = 'iso_8601';

-- error: 22023
SET IntervalStyle = 'nonsense';

-- chorus-error: 0A000 extra_float_digits below 1 (rounded float output)
SET extra_float_digits = 0;

-- chorus-error: 0A000 bytea_output escape
SET bytea_output = 'escape';

-- chorus-error: 0A000 standard_conforming_strings off
SET standard_conforming_strings = off;

SET search_path = other;

SHOW search_path;

SET search_path = public, pg_catalog;

SHOW search_path;

-- chorus-error: 0A000 client encodings other than UTF8
SET client_encoding = 'LATIN1';

SET client_encoding = 'UTF8';

-- error: 42704
SET no_such_parameter = 1;

-- error: 55P02
SET server_version = '1';

-- error: 22023
SET lock_timeout = 'soon';

SET lock_timeout = '1s';

SHOW lock_timeout;

RESET ALL;

SHOW lock_timeout;

-- Memory settings with PostgreSQL's units; transaction_read_only outside and inside blocks.
SHOW transaction_read_only;

SET default_transaction_read_only = on;

SHOW transaction_read_only;

SET default_transaction_read_only = off;

SHOW work_mem;

SET work_mem = '64kB';

-- error: 22023
SET work_mem = 'abc';

-- error: 22023
SET enable_seqscan = 'maybe';

SET enable_seqscan = off;

SHOW enable_seqscan;

RESET ALL;

SET work_mem = '1GB';

SHOW work_mem;

SET work_mem = 2048;

SHOW work_mem;

-- error: 22023
SET work_mem = '10mb';

-- error: 22023
SET work_mem = '1kB';

SET work_mem = '100000B';

SHOW work_mem;

BEGIN;

SET TRANSACTION READ ONLY;

SHOW transaction_read_only;

ROLLBACK;

SET default_transaction_read_only = on;

BEGIN READ WRITE;

SHOW transaction_read_only;

ROLLBACK;

SET default_transaction_read_only = off;
