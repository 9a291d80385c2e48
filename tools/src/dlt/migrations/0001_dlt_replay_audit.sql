-- Audit of `dlt replay`: one row per run, one row per replayed record. Append-only: rows are never updated
-- except a run's summary when it ends, and never deleted by the tool.
CREATE TABLE dlt_replay_runs (
  run_id uuid PRIMARY KEY,
  operator text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  kafka_namespace text NOT NULL,
  filters text NOT NULL,
  target text NOT NULL,
  max_replays integer NOT NULL,
  forced boolean NOT NULL,
  matched integer,
  replayed integer,
  parked integer,
  skipped integer,
  failed integer
);

CREATE TABLE dlt_replays (
  id bigserial PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES dlt_replay_runs (run_id),
  replayed_at timestamptz NOT NULL,
  operator text NOT NULL,
  consumer_id text NOT NULL,
  dead_letter_topic text NOT NULL,
  dead_letter_partition integer NOT NULL,
  dead_letter_offset bigint NOT NULL,
  -- `<dead-letter topic>|<event id, or partition:offset>`: what replay counts are kept per.
  history_key text NOT NULL,
  event_id text,
  record_key text,
  error_code text,
  target_topic text NOT NULL,
  replay_count integer NOT NULL,
  forced boolean NOT NULL
);

CREATE INDEX dlt_replays_history_key ON dlt_replays (history_key);
CREATE INDEX dlt_replays_dead_letter ON dlt_replays (dead_letter_topic, dead_letter_partition, dead_letter_offset);
