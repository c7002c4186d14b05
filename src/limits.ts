// Limits on everything that can grow: named constants, units last. Config may lower or raise the
// ones marked configurable; the rest are fixed protocol or safety bounds.

/** Largest frontend message accepted on the PostgreSQL wire (type byte excluded). */
export const wireMessageBytesMax = 64 * 1024 * 1024;
/**
 * A Query / Parse / Bind longer than wireMessageBytesMax but at most this is read past and answered
 * with 54000; a longer length is taken as a broken stream (08P01, connection closed), as PostgreSQL
 * refuses lengths past its 1 GiB message limit.
 */
export const wireSkippableMessageBytesMax = 1024 * 1024 * 1024 - 1;
/** Largest startup packet (protocol version + parameters). PostgreSQL uses 10000. */
export const wireStartupPacketBytesMax = 10_000;
/** Bytes of unanswered responses buffered for a slow client before we stop reading its socket. */
export const wireOutputBufferBytesHigh = 8 * 1024 * 1024;
/** Buffered response bytes after which a large result (or COPY TO) is flushed mid-way. */
export const wireFlushThresholdBytes = 256 * 1024;
/** Parameters in one Bind message (PostgreSQL's own limit). */
export const wireBindParamsMax = 65_535;
/** Prepared statements and portals a single connection may hold. */
export const wirePreparedStatementsMax = 10_000;
export const wirePortalsMax = 10_000;
/** Time a client has to finish startup and authentication. */
export const wireAuthTimeoutMs = 30_000;

/** Statements kept compiled per connection to SQLite (LRU). */
export const statementCacheEntriesMax = 500;
/** Rows a single read returns from a reader thread at once; larger results fail with 54000. */
export const resultRowsMax = 5_000_000;
/** Statements in one simple-protocol Query message. */
export const queryStatementsMax = 10_000;
/** Bytes of SQL text in one statement. */
export const statementTextBytesMax = 16 * 1024 * 1024;

/** Reads waiting for a reader thread before new reads are refused. */
export const readerQueueDepthMax = 10_000;
/** Sessions waiting for the writer lock before new waiters are refused. */
export const writerWaitersMax = 10_000;

/** Body size accepted by the HTTP API. */
export const httpBodyBytesMax = 16 * 1024 * 1024;
/** Upper bound on pg_sleep() so a client cannot park a connection forever. */
export const pgSleepSecondsMax = 3600;
/** Time SIGTERM waits for open transactions before rolling them back. */
export const shutdownGraceMs = 5_000;

/** Heap of one reader thread (MiB): a read that needs more fails with 53200; the thread is replaced. */
export const readerHeapMbMax = 2048;

/**
 * Bytes of one text or bytea value a function may build (repeat, lpad, string_agg, ...): past it
 * 54000, where PostgreSQL's bound is 1 GB. Values this large would exhaust a node's memory first.
 */
export const valueBytesMax = 64 * 1024 * 1024;
