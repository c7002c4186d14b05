-- synchronous_commit: PostgreSQL's values (and the booleans it also takes), shown as PostgreSQL
-- shows them. ChorusDB's chorus.synchronous_commit is the same setting (docs/primary-standby.md).
SHOW synchronous_commit;

SET synchronous_commit = remote_apply;

SHOW synchronous_commit;

SET synchronous_commit = 'REMOTE_WRITE';

SHOW synchronous_commit;

SET synchronous_commit = local;

SELECT current_setting('synchronous_commit');

SET synchronous_commit = true;

SHOW synchronous_commit;

SET synchronous_commit = 'no';

SHOW synchronous_commit;

SET synchronous_commit = 1;

SHOW synchronous_commit;

-- error: 22023
SET synchronous_commit = 'maybe';

BEGIN;

SET LOCAL synchronous_commit = off;

SHOW synchronous_commit;

COMMIT;

SHOW synchronous_commit;

RESET synchronous_commit;

SHOW synchronous_commit;

-- chorus-only: chorus.synchronous_commit is synchronous_commit here (a custom placeholder in PostgreSQL)
SET chorus.synchronous_commit = 'remote_apply';

-- chorus-only: the same setting under both names
SHOW synchronous_commit;

-- chorus-only: the same setting under both names
SHOW chorus.synchronous_commit;

-- chorus-error: 22023 chorus.synchronous_commit takes synchronous_commit's values (PostgreSQL: any text)
SET chorus.synchronous_commit = 'maybe';

-- chorus-only: RESET under ChorusDB's name
RESET chorus.synchronous_commit;

SHOW synchronous_commit;

-- chorus-error: 55000 WAIT FOR LSN (PostgreSQL 19) runs on a standby only; PostgreSQL 15 does not parse it
WAIT FOR LSN '1';
