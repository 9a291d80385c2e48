-- The rate a run replayed at, so its audit says how hard it pushed the retry tier (the console's history
-- shows it). Null for runs recorded before the column existed.
ALTER TABLE dlt_replay_runs ADD COLUMN rate_per_second double precision;

CREATE INDEX dlt_replay_runs_recent ON dlt_replay_runs (kafka_namespace, started_at DESC);
