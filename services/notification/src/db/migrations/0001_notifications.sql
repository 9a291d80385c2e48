-- Our record of every notification: one row per order outcome per channel. The primary key is what makes
-- "exactly one notification per order outcome per channel" hold across redeliveries, different event ids
-- for the same outcome, replays and restarts: a row with status 'sent' is never sent again.
-- The row is written in the consumer's transaction together with the inbox row (see
-- docs/design/notifications.md for the window between the provider's acceptance and that commit).
CREATE TABLE notifications (
  order_id uuid NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('OrderConfirmed', 'OrderCancelled')),
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  -- UUIDv5 of (order_id, outcome, channel): the key given to the provider and the SMTP Message-ID.
  idempotency_key uuid NOT NULL UNIQUE,
  provider text NOT NULL,
  recipient text NOT NULL,
  subject text,
  body text NOT NULL,
  -- 'sent': a provider accepted it (final). 'failed': the last attempt failed; the event is in a retry tier
  -- or the dead-letter topic and the next attempt re-sends with the same idempotency key.
  status text NOT NULL CHECK (status IN ('sent', 'failed')),
  provider_message_id text,
  attempts integer NOT NULL CHECK (attempts > 0),
  last_error_code text,
  last_error_message text,
  -- The event whose handling wrote the row last, and its flow.
  event_id uuid NOT NULL,
  correlation_id uuid,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at timestamptz,
  PRIMARY KEY (order_id, outcome, channel),
  CHECK ((status = 'sent') = (provider_message_id IS NOT NULL AND sent_at IS NOT NULL))
);

-- The development channel's mailbox: what a provider would have delivered, one row per idempotency key.
-- It stands in for an external provider, so it is written outside the consumer's transaction (its own
-- connection pool) and de-duplicates by idempotency key like a provider with idempotent sends:
-- a re-send raises `submissions` and returns the first provider_message_id; it never adds a delivery.
CREATE TABLE dev_channel_messages (
  idempotency_key uuid PRIMARY KEY,
  provider_message_id text NOT NULL UNIQUE,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient text NOT NULL,
  subject text,
  body text NOT NULL,
  submissions integer NOT NULL DEFAULT 1,
  first_submitted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_submitted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
