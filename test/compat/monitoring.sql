-- compat: chorus-only, multi-primary
-- The monitoring queries of seed 000 (the HeliosDB multi-master replication guide) over ChorusDB's
-- replicate.* relations, as the seed writes them. They run on a multi-primary node without peers
-- (the replicate.* monitoring relations exist in multi-primary mode), so most return no rows: each
-- must run without error and return the columns named in its `-- columns:` line. Where the seed names
-- columns a relation does not have, the query is adapted and the comment says how; queries over
-- relations that do not exist (replicate.replication_queue, cluster_info, buffer_stats, ...) are
-- left out (docs/replication-monitoring.md lists them).

-- Verify topology
-- columns: master_id, endpoint, region, priority, state, is_healthy, last_heartbeat, current_lsn, last_replicated_lsn, pending_operations, replication_lag_ms, replication_lag_bytes, last_replication_time, catch_up_progress_percent
SELECT * FROM replicate.masters;

-- Verify replication is active (a direct call answers the function's columns, like SELECT * FROM)
-- columns: status, master_id, node_id, mode, role, region, current_lsn, replication_lag_ms, peer_count, healthy_peers, conflicts_detected, pending_operations, is_read_only, uptime_seconds
SELECT replicate.status();

-- Network Monitoring Queries: check latency to peer masters
-- columns: peer_id, region, avg_latency_ms, p99_latency_ms, ping_count
SELECT
peer_id,
region,
ROUND(AVG(rtt_ms), 2) as avg_latency_ms,
PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY rtt_ms) as p99_latency_ms,
COUNT(*) as ping_count
FROM replicate.peer_latency_history
WHERE recorded_at > NOW() - INTERVAL '1 hour'
GROUP BY peer_id, region
ORDER BY avg_latency_ms DESC;

-- Monitor replication lag
-- columns: master_id, current_lsn, last_replicated_lsn, pending_operations, lag_mb, last_replication_ms_ago
SELECT
master_id,
current_lsn,
last_replicated_lsn,
current_lsn - last_replicated_lsn as pending_operations,
ROUND((current_lsn - last_replicated_lsn) / 1000.0, 2) as lag_mb,
ROUND(EXTRACT(EPOCH FROM last_replication_time) * 1000, 0) as last_replication_ms_ago
FROM replicate.masters
ORDER BY pending_operations DESC;

-- Network statistics. Adapted: replicate.network_stats has no direction or compression_ratio (links
-- do not report compression); its rows are per peer plus a totals row (peer_id NULL).
-- columns: peer_id, bytes_sent, bytes_received, frames_sent, frames_received, reconnects
SELECT
peer_id,
bytes_sent,
bytes_received,
frames_sent,
frames_received,
reconnects
FROM replicate.network_stats
WHERE recorded_at > NOW() - INTERVAL '1 hour'
ORDER BY recorded_at DESC
LIMIT 10;

-- View active replication connections
-- columns: peer_id, connection_id, state, connected_since, bytes_sent, bytes_received
SELECT
peer_id,
connection_id,
state,
connected_since,
bytes_sent,
bytes_received
FROM replicate.connections
WHERE state = 'active'
ORDER BY peer_id;

-- Verify initialization
-- columns: status, master_id, node_id, mode, role, region, current_lsn, replication_lag_ms, peer_count, healthy_peers, conflicts_detected, pending_operations, is_read_only, uptime_seconds
SELECT * FROM replicate.status();

-- Verify master added
-- columns: master_id, endpoint, region, priority, state, is_healthy, last_heartbeat, current_lsn, last_replicated_lsn, pending_operations, replication_lag_ms, replication_lag_bytes, last_replication_time, catch_up_progress_percent
SELECT * FROM replicate.masters WHERE master_id = 'ap-northeast-1';

-- Monitor catch-up progress
-- columns: master_id, replication_lag_bytes, replication_lag_ms, catch_up_progress_percent, catch_up_status
SELECT
master_id,
replication_lag_bytes,
replication_lag_ms,
catch_up_progress_percent,
CASE
WHEN catch_up_progress_percent >= 100 THEN 'COMPLETE'
ELSE 'IN_PROGRESS'
END as catch_up_status
FROM replicate.masters
WHERE master_id = 'ap-northeast-1';

-- Verify promotion
-- columns: role
SELECT role FROM replicate.status();

-- Check replication lag is low
-- columns: master_id, replication_lag_ms
SELECT master_id, replication_lag_ms FROM replicate.masters;

-- Monitor until this master is fully replicated
-- columns: master_id, pending_operations, replication_lag_ms
SELECT
master_id,
pending_operations,
replication_lag_ms
FROM replicate.masters
WHERE master_id = 'eu-west-1';

-- Verify removal
-- columns: count
SELECT COUNT(*) FROM replicate.masters;

-- Detect failed nodes
-- columns: master_id, last_heartbeat, time_since_heartbeat, state, is_healthy
SELECT
master_id,
last_heartbeat,
NOW() - last_heartbeat as time_since_heartbeat,
state,
is_healthy
FROM replicate.masters
WHERE is_healthy = false
ORDER BY last_heartbeat DESC;

-- Troubleshoot failure reason. Adapted: replicate.failure_log has one row per failure event
-- (failed_at, failure_type, message), so the seed's per-master summary columns are aggregates.
-- columns: master_id, failure_type, last_error, failure_count, first_failure_time, last_failure_time
SELECT
master_id,
failure_type,
MAX(message) as last_error,
COUNT(*) as failure_count,
MIN(failed_at) as first_failure_time,
MAX(failed_at) as last_failure_time
FROM replicate.failure_log
WHERE recorded_at > NOW() - INTERVAL '30 minutes'
GROUP BY master_id, failure_type
ORDER BY last_failure_time DESC;

-- Monitoring Replication Lag: current lag for all masters
-- columns: master_id, region, lag_status, replication_lag_ms, replication_lag_bytes, last_replication_time
SELECT
master_id,
region,
CASE
WHEN replication_lag_ms < 100 THEN 'EXCELLENT'
WHEN replication_lag_ms < 500 THEN 'GOOD'
WHEN replication_lag_ms < 1000 THEN 'ACCEPTABLE'
ELSE 'POOR'
END as lag_status,
replication_lag_ms,
replication_lag_bytes,
last_replication_time
FROM replicate.masters
ORDER BY replication_lag_ms DESC;

-- Detailed lag breakdown
-- columns: peer_id, p50_lag_ms, p95_lag_ms, p99_lag_ms, max_lag_ms, samples
SELECT
peer_id,
PERCENTILE_CONT(0.50) WITHIN GROUP (ORDER BY lag_ms) as p50_lag_ms,
PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY lag_ms) as p95_lag_ms,
PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY lag_ms) as p99_lag_ms,
MAX(lag_ms) as max_lag_ms,
COUNT(*) as samples
FROM replicate.lag_history
WHERE recorded_at > NOW() - INTERVAL '1 hour'
GROUP BY peer_id
ORDER BY p99_lag_ms DESC;

-- Setting Alerts: the SELECTs of the seed's CREATE ALERT statements (CREATE ALERT itself is not SQL
-- ChorusDB or PostgreSQL has; poll these or alert on the Prometheus metrics)
-- columns: master_id, replication_lag_ms
SELECT master_id, replication_lag_ms
FROM replicate.masters
WHERE replication_lag_ms > 1000;

-- columns: master_id, consecutive_failures
SELECT master_id, COUNT(*) as consecutive_failures
FROM replicate.failure_log
WHERE recorded_at > NOW() - INTERVAL '5 minutes'
GROUP BY master_id
HAVING COUNT(*) > 10;

-- Analyze batch performance. Adapted: replicate.batch_stats rows are sampling intervals, not
-- batches, and carry no per-batch latency (batch_latency_ms).
-- columns: avg_batch_size, max_batch_size, total_batches, avg_batches_per_sec, samples
SELECT
AVG(batch_size) as avg_batch_size,
MAX(batch_size) as max_batch_size,
SUM(batches_applied) as total_batches,
AVG(batches_per_sec) as avg_batches_per_sec,
COUNT(*) as samples
FROM replicate.batch_stats
WHERE recorded_at > NOW() - INTERVAL '1 hour';

-- Conflict Detection Queries: all detected conflicts in the last hour
-- columns: conflict_id, table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value, master_2_value, resolved_value, resolution_strategy, detected_at
SELECT
conflict_id,
table_name,
row_id,
master_1_id,
master_2_id,
conflict_type, -- write_conflict, delete_conflict, reference_conflict
master_1_value,
master_2_value,
resolved_value,
resolution_strategy,
detected_at
FROM replicate.conflicts
WHERE detected_at > NOW() - INTERVAL '1 hour'
ORDER BY detected_at DESC;

-- Conflict rate by table
-- columns: table_name, conflict_count, percent_of_total
SELECT
table_name,
COUNT(*) as conflict_count,
ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER(), 1) as percent_of_total
FROM replicate.conflicts
WHERE detected_at > NOW() - INTERVAL '1 day'
GROUP BY table_name
ORDER BY conflict_count DESC;

-- Conflict rate trend
-- columns: hour, conflicts_per_hour, avg_resolution_ms
SELECT
DATE_TRUNC('hour', detected_at) as hour,
COUNT(*) as conflicts_per_hour,
ROUND(AVG(resolution_latency_ms), 1) as avg_resolution_ms
FROM replicate.conflicts
WHERE detected_at > NOW() - INTERVAL '7 days'
GROUP BY hour
ORDER BY hour DESC;

-- View conflicted row. Adapted: conflict ids are integers here (bigint), so the seed's 'c-12345'
-- is not a valid id (PostgreSQL would refuse it the same way: 22P02); 12345 matches nothing.
-- columns: conflict_id, table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value, master_2_value, resolved_value, resolution_strategy, detected_at, resolution_latency_ms, status, error, resolved_by, resolved_at, resolution_reason, local_order_key, remote_order_key
SELECT * FROM replicate.conflicts WHERE conflict_id = 12345;

-- Check conflict detection
-- columns: conflict_id, table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value, master_2_value, resolved_value, resolution_strategy, detected_at, resolution_latency_ms, status, error, resolved_by, resolved_at, resolution_reason, local_order_key, remote_order_key
SELECT * FROM replicate.conflicts
WHERE table_name = 'conflict_test'
ORDER BY detected_at DESC
LIMIT 1;

-- Monitor conflict resolution (chaos test)
-- columns: conflict_id, table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value, master_2_value, resolved_value, resolution_strategy, detected_at, resolution_latency_ms, status, error, resolved_by, resolved_at, resolution_reason, local_order_key, remote_order_key
SELECT * FROM replicate.conflicts
WHERE detected_at > NOW() - INTERVAL '5 minutes';

-- Monitor CRDT merge operations. Adapted: replicate.crdt_operations has no tenant_id (no tenants
-- here) and records merged_at rather than executed_at; grouped per table instead.
-- columns: table_name, operation_type, operation_count, avg_merge_ms
SELECT
table_name,
operation_type, -- set_add, counter_increment, map_put
COUNT(*) as operation_count,
ROUND(AVG(merge_latency_ms), 2) as avg_merge_ms
FROM replicate.crdt_operations
WHERE merged_at > NOW() - INTERVAL '1 day'
GROUP BY table_name, operation_type
ORDER BY table_name, operation_count DESC;

-- Troubleshooting decision tree: check network latency (no such peer on a node without peers)
-- error: 42704
SELECT replicate.check_peer_latency('eu-west-1');

-- Check replication queue size
-- columns: queue_depth, pending_apply, pending_ship, inflight_batches, paused
SELECT replicate.get_queue_depth();

-- Check batch size
-- columns: batches_sent, txs_sent, batches_applied, txs_applied, received_txs, duplicate_txs, apply_errors, pending_txs, avg_batch_size, last_applied_at
SELECT replicate.get_batch_metrics();

-- Verify conflict resolution strategy
-- columns: conflict_resolution, timestamp_source, crdt_types, resolver_function, resolver_language
SELECT replicate.get_conflict_strategy();

-- Check conflict log
-- columns: conflict_id, table_name, row_id, master_1_id, master_2_id, conflict_type, master_1_value, master_2_value, resolved_value, resolution_strategy, detected_at, resolution_latency_ms, status, error, resolved_by, resolved_at, resolution_reason, local_order_key, remote_order_key
SELECT * FROM replicate.conflicts LIMIT 10;

-- Issue 2: conflicts spike after network partition (the seed also orders its first query by a
-- conflict_count column that replicate.conflicts does not have; that one is left out)
-- columns: unresolved_conflicts
SELECT
COUNT(*) as unresolved_conflicts
FROM replicate.conflicts
WHERE resolution_strategy = 'pending';

-- Manual resolution
-- columns: resolved, remaining, strategy
SELECT replicate.resolve_pending_conflicts(
strategy => 'last_write_wins',
timeout_sec => 30
);

-- Split-brain recovery, steps 4 and 7: stop and resume replication
-- columns: status
SELECT replicate.pause_replication();

-- columns: status
SELECT replicate.resume_replication();
