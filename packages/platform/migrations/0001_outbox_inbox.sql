-- Transactional outbox: a service inserts its events here in the same transaction as its state change;
-- the relay publishes them and deletes them only after the broker acknowledged (acks=all).
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  event_type text NOT NULL,
  topic text NOT NULL,
  message_key text NOT NULL,
  payload bytea NOT NULL,
  -- Header name -> string value, exactly as they will be sent.
  headers jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Inbox: one row per (consumer, event id) processed, written in the handler's own transaction, so a
-- redelivered event finds its row and has no second effect.
CREATE TABLE inbox (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  record_offset bigint NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer, event_id)
);

-- Wakes the relay when events commit. NOTIFY is delivered at commit, once per statement, and is only a
-- hint: a relay that was not listening finds the rows on its next poll.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
