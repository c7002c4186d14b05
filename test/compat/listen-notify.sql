-- LISTEN / UNLISTEN / NOTIFY / pg_notify() / pg_listening_channels() (notifications themselves:
-- test/integration/listen-notify.test.ts).
LISTEN compat_notify_a;
LISTEN "Compat_Notify_B";
SELECT pg_listening_channels();
SELECT * FROM pg_listening_channels();
NOTIFY compat_notify_a;
NOTIFY compat_notify_a, 'payload';
SELECT pg_notify('compat_notify_a', 'x');
SELECT pg_notify('compat_notify_a', NULL) AS n;
-- error: 22023
SELECT pg_notify('', 'x');
-- error: 22023
SELECT pg_notify(NULL, 'x');
BEGIN;
LISTEN compat_notify_c;
UNLISTEN compat_notify_a;
SELECT pg_listening_channels();
COMMIT;
SELECT pg_listening_channels();
UNLISTEN *;
SELECT pg_listening_channels();
