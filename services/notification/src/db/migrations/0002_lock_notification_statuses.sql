-- Locks the notifications of a batch and reads their statuses in one statement from the client.
-- The locks are transaction-scoped advisory locks on the idempotency key, taken one after the other in key
-- order (one global order, so two batches with overlapping notifications never wait on each other in a
-- cycle); a lock also covers a notification that has no row yet. The statuses are read after every lock
-- is held, by a query of its own: in a VOLATILE function each query takes a fresh snapshot, so a 'sent' row
-- committed by the transaction the lock waited for is seen (a read folded into the locking query would use
-- that query's older snapshot and miss it).
CREATE FUNCTION lock_notification_statuses(keys uuid[])
RETURNS TABLE (idempotency_key uuid, status text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  lock_key uuid;
BEGIN
  FOR lock_key IN SELECT DISTINCT k FROM unnest(keys) AS k ORDER BY k LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(lock_key::text, 0));
  END LOOP;
  RETURN QUERY SELECT n.idempotency_key, n.status FROM notifications n WHERE n.idempotency_key = ANY(keys);
END
$$;
