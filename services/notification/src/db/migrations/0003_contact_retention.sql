-- Contact data (the recipient: an e-mail address or a phone number) is kept only as long as the retention
-- setting says; then it is erased and the delivery record stays (what was sent, when, through which
-- provider, with which idempotency key). contact_erased_at records when, so "to whom" reads as erased,
-- not as missing. The partial indexes make the periodic erasure read only rows that still hold contact data.
ALTER TABLE notifications ALTER COLUMN recipient DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN contact_erased_at timestamptz;
CREATE INDEX notifications_contact_expiry ON notifications (updated_at) WHERE recipient IS NOT NULL;

ALTER TABLE dev_channel_messages ALTER COLUMN recipient DROP NOT NULL;
CREATE INDEX dev_channel_messages_contact_expiry ON dev_channel_messages (last_submitted_at)
  WHERE recipient IS NOT NULL;
