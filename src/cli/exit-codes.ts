// The `chorus` command's exit codes, one per class of outcome (docs/operator-guide.md lists them).

/** The command did what was asked (a server stopped by SIGTERM / SIGINT included). */
export const exitOk = 0;
/** A failure while running: a node stopped on an error, a statement of `chorus sql` failed. */
export const exitFailure = 1;
/**
 * The command cannot start as given: an unknown flag or bad value, an invalid configuration, a
 * port already in use, a data directory that cannot be used. Fix the command line or the config.
 */
export const exitUsage = 2;
