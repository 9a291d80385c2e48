-- The relay is no longer woken by NOTIFY. A transaction that issued NOTIFY (here from the trigger on every
-- outbox insert) takes a lock shared by the whole server while it commits, so every business commit, in every
-- database of the server, queued behind the others. Commits made in the relay's own process now wake it
-- in-process after COMMIT, and its adaptive poll finds the rest.
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
