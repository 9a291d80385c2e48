-- The payment saga (issue 6): more states and steps, per-attempt deadlines, and what the saga must remember
-- between replies (the payment's and the refund's idempotency keys, what was captured and refunded, a
-- pending cancellation). The CHECKs mirror the closed lists in domain/order-saga.ts.
ALTER TABLE order_sagas DROP CONSTRAINT order_sagas_state_check;
ALTER TABLE order_sagas ADD CONSTRAINT order_sagas_state_check
  CHECK (state IN ('RESERVING', 'CHARGING', 'CONFIRMED', 'CANCELLING', 'CANCELLED', 'COMPENSATION_FAILED'));
-- Deadlines live on the step attempts now (several steps can be open at once: a refund and a release).
ALTER TABLE order_sagas DROP COLUMN step_deadline_at;
ALTER TABLE order_sagas
  -- The charge's idempotency key at the provider: fixed when the charge starts, the same on every re-send.
  ADD COLUMN payment_id uuid UNIQUE,
  -- ChargePayment.expiresAt: after it (and a clock-skew margin) the saga gives the charge up and refunds.
  ADD COLUMN charge_expires_at timestamptz,
  ADD COLUMN captured_amount_minor bigint CHECK (captured_amount_minor >= 0),
  -- The refund's idempotency key: one refund per order, whatever re-sends or retries happen.
  ADD COLUMN refund_id uuid UNIQUE,
  ADD COLUMN refunded_amount_minor bigint CHECK (refunded_amount_minor >= 0),
  -- The customer asked to cancel while a reply was on its way; the next reply applies it.
  ADD COLUMN cancel_requested_at timestamptz,
  -- Why the order is being cancelled, decided when compensation starts, published when it ends.
  ADD COLUMN pending_cancel_code text,
  ADD COLUMN pending_cancel_message text,
  -- COMPENSATION_FAILED remembers the state an operator's retry returns to.
  ADD COLUMN resume_state text,
  ADD COLUMN operator_retries integer NOT NULL DEFAULT 0 CHECK (operator_retries >= 0),
  ADD CONSTRAINT order_sagas_pending_reason_whole CHECK ((pending_cancel_code IS NULL) = (pending_cancel_message IS NULL)),
  ADD CONSTRAINT order_sagas_charge_whole CHECK ((payment_id IS NULL) = (charge_expires_at IS NULL)),
  ADD CONSTRAINT order_sagas_resume_iff_failed CHECK ((state = 'COMPENSATION_FAILED') = (resume_state IS NOT NULL));

ALTER TABLE order_saga_steps DROP CONSTRAINT order_saga_steps_step_check;
ALTER TABLE order_saga_steps ADD CONSTRAINT order_saga_steps_step_check
  CHECK (step IN ('RESERVE_STOCK', 'CHARGE_PAYMENT', 'COMMIT_STOCK', 'RELEASE_STOCK', 'REFUND_PAYMENT'));
ALTER TABLE order_saga_steps DROP CONSTRAINT order_saga_steps_status_check;
ALTER TABLE order_saga_steps ADD CONSTRAINT order_saga_steps_status_check
  CHECK (status IN ('STARTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABANDONED'));
-- When the attempt's reply is due; NULL while the saga is parked in COMPENSATION_FAILED.
ALTER TABLE order_saga_steps ADD COLUMN deadline_at timestamptz;
ALTER TABLE order_saga_steps ADD CONSTRAINT saga_steps_deadline_only_open CHECK (status = 'STARTED' OR deadline_at IS NULL);
-- At most one open attempt per step: a re-send closes the previous attempt in the same transaction.
CREATE UNIQUE INDEX order_saga_steps_one_open ON order_saga_steps (order_id, step) WHERE status = 'STARTED';
-- The deadline scanner's query: open attempts by deadline.
CREATE INDEX order_saga_steps_due ON order_saga_steps (deadline_at) WHERE status = 'STARTED' AND deadline_at IS NOT NULL;
-- Reservations started before this migration get the default reservation deadline.
UPDATE order_saga_steps SET deadline_at = started_at + interval '5 minutes' WHERE status = 'STARTED';
