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

-- chorus-error: 0A000 a search_path without public
SET search_path = other;

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
