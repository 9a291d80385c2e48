-- Orders: what the customer placed and where it stands. `status` is the customer-facing status; the saga
-- row below is what drives it. Rows are never deleted (the listing cursor and idempotency keys name them).
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  customer_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
  -- [{"sku", "quantity"}]: distinct SKUs, in the order the customer listed them. Never changes.
  lines jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array' AND jsonb_array_length(lines) BETWEEN 1 AND 100),
  -- {"email", "phone"?}: personal data. It leaves this database only in OrderConfirmed / OrderCancelled.
  contact jsonb NOT NULL,
  -- The amount the reservation quoted (known from InventoryReserved; with the payment saga, before CONFIRMED).
  total_amount_minor bigint CHECK (total_amount_minor >= 0),
  total_currency text CHECK (total_currency ~ '^[A-Z]{3}$'),
  cancel_reason_code text,
  cancel_reason_message text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  settled_at timestamptz,
  CONSTRAINT orders_total_whole CHECK ((total_amount_minor IS NULL) = (total_currency IS NULL)),
  CONSTRAINT orders_settled_iff_final CHECK ((status = 'PENDING') = (settled_at IS NULL)),
  CONSTRAINT orders_confirmed_has_total CHECK (status <> 'CONFIRMED' OR total_amount_minor IS NOT NULL),
  CONSTRAINT orders_cancelled_iff_reason CHECK ((status = 'CANCELLED') = (cancel_reason_code IS NOT NULL)),
  CONSTRAINT orders_reason_whole CHECK ((cancel_reason_code IS NULL) = (cancel_reason_message IS NULL))
);

-- GET /orders?customerId=: newest first, ties broken by id, paged by (created_at, id) of the last row seen.
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);

-- Idempotency-Key, scoped per customer. The primary key is what makes concurrent retries safe: the
-- second INSERT waits for the first transaction and then finds its row (never a read-then-write race).
-- The foreign key is deferred because the key is claimed before the order row is written.
CREATE TABLE idempotency_keys (
  customer_id uuid NOT NULL,
  idempotency_key text NOT NULL,
  -- SHA-256 of the canonical request: the same key with another request is refused (422).
  request_fingerprint text NOT NULL,
  order_id uuid NOT NULL REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, idempotency_key)
);

-- One saga per order: its state (mirrors domain/order-saga.ts) and when the step in progress times out
-- (NULL: no deadline; the payment saga of issue 6 sets one per step and widens the CHECKs below).
CREATE TABLE order_sagas (
  order_id uuid PRIMARY KEY REFERENCES orders (id),
  state text NOT NULL CHECK (state IN ('RESERVING', 'CONFIRMED', 'CANCELLED')),
  step_deadline_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- The saga's steps with their times: an audit of what was asked and answered, and (issue 6) what a
-- restarted saga resumes from. `attempt` counts re-sends of the same step after a deadline.
CREATE TABLE order_saga_steps (
  order_id uuid NOT NULL REFERENCES order_sagas (order_id),
  step text NOT NULL CHECK (step IN ('RESERVE_STOCK')),
  attempt integer NOT NULL CHECK (attempt >= 1),
  status text NOT NULL CHECK (status IN ('STARTED', 'SUCCEEDED', 'FAILED')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  -- The event that started the step (the command or OrderPlaced) and the reply that finished it.
  request_event_id uuid,
  reply_event_id uuid,
  CONSTRAINT saga_steps_finished_whole CHECK ((status = 'STARTED') = (finished_at IS NULL)),
  PRIMARY KEY (order_id, step, attempt)
);
