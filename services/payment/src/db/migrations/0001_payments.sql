-- Payments: one row per charge (paymentId, the provider idempotency key), its outcome and what was refunded.
-- Amounts are integer minor units; bigint covers MAX_SAFE_INTEGER.
CREATE TABLE payments (
  payment_id uuid PRIMARY KEY,
  order_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('CAPTURED', 'DECLINED')),
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  currency char(3) NOT NULL,
  decline_reason text,
  provider_reference text,
  refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
  caused_by_event_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (status = 'CAPTURED' OR refunded_minor = 0)
);
CREATE INDEX payments_order_id ON payments (order_id);

-- Refunds: one row per refundId (the provider idempotency key), amount actually refunded (possibly 0).
-- payment_id is not a foreign key: a refund of a charge this service never recorded is answered with 0.
CREATE TABLE refunds (
  refund_id uuid PRIMARY KEY,
  payment_id uuid NOT NULL,
  order_id uuid NOT NULL,
  requested_minor bigint NOT NULL CHECK (requested_minor >= 0),
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  currency char(3) NOT NULL,
  provider_reference text,
  caused_by_event_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order_id ON refunds (order_id);

-- The simulated gateway's own state (see src/provider/simulated-provider.ts); a real gateway keeps this itself.
CREATE TABLE simulated_provider_charges (
  idempotency_key text PRIMARY KEY,
  customer_id text NOT NULL,
  amount_minor bigint NOT NULL,
  currency char(3) NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('CAPTURED', 'DECLINED')),
  decline_reason text,
  reference text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE simulated_provider_refunds (
  idempotency_key text PRIMARY KEY,
  charge_key text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  currency char(3) NOT NULL,
  reference text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulated_provider_refunds_charge_key ON simulated_provider_refunds (charge_key);
