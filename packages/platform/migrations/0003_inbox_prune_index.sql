-- Inbox rows are pruned by age, per consumer, once their records are past the source topics' retention (a
-- record Kafka no longer holds cannot be redelivered). The index keeps each pruning batch a range scan.
CREATE INDEX inbox_consumer_processed_at ON inbox (consumer, processed_at);
