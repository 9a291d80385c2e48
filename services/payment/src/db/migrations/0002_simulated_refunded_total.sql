-- The simulated gateway keeps each charge's refunded total on the charge row, so a refund is one statement:
-- the charge row is locked and re-read at its latest version (what FOR UPDATE returns after a wait), which
-- a sum over the refunds table read in the same statement would not be (its snapshot predates the wait).
ALTER TABLE simulated_provider_charges ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0;
UPDATE simulated_provider_charges c
   SET refunded_minor = (SELECT COALESCE(SUM(r.amount_minor), 0) FROM simulated_provider_refunds r
                          WHERE r.charge_key = c.idempotency_key);
ALTER TABLE simulated_provider_charges
  ADD CONSTRAINT simulated_provider_charges_refunded CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor);
