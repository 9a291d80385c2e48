/**
 * The throughput model behind every partition count in the topic catalog.
 *
 * Partition counts are written as literals in the catalog, not computed from this model at runtime:
 * adding partitions moves keys to other partitions (the default partitioner hashes the key modulo the
 * partition count), which breaks per-order ordering for orders in flight, and partitions can never be
 * removed. A change of assumption must therefore be a deliberate, reviewed catalog change. The catalog
 * test checks each literal against {@link requiredPartitions} so a new measurement shows which topics
 * are now too small.
 */

/** Peak order rate the platform must sustain, from the design brief (orders per second). */
export const PEAK_ORDERS_PER_SECOND = 500;

/**
 * Multiplier on the peak rate: growth, uneven hashing, and catch-up after an outage (a consumer that
 * was down must drain its backlog faster than new records arrive; at 2x it drains one minute of
 * backlog per minute while keeping up with the peak).
 */
export const HEADROOM_FACTOR = 2;

/**
 * ASSUMPTION, to be replaced by a measurement: events per second one consumer instance handles on one
 * partition, processing them in order with one PostgreSQL transaction per small batch (inbox row,
 * state change, outbox row). 250/s means 4 ms per event including the database round trips.
 * Revisit with the load tool (`npm run load`) and record the measured figure in
 * docs/benchmarks.md; the catalog test then shows which topics need more partitions.
 */
export const ASSUMED_EVENTS_PER_SECOND_PER_PARTITION = 250;

/**
 * Share of a consumer's source traffic its retry tiers are sized for: a partial downstream outage in
 * which a quarter of the records fail with a retryable error at peak. A full outage of the service's
 * own database or broker is not retried through topics (the consumer pauses and retries in place).
 */
export const RETRY_TRAFFIC_SHARE = 0.25;

/**
 * Partition counts are rounded up to a multiple of the production cluster's broker count so that
 * partition leaders, and with them the write load, spread evenly over the brokers.
 */
export const BROKER_COUNT = 3;

/**
 * Upper bound for any topic: the development machine runs every broker, service and database on two
 * cores, and each partition costs file handles, replica fetcher work and rebalance time. Raising it is
 * a capacity decision, not a catalog edit.
 */
export const MAX_PARTITIONS_PER_TOPIC = 12;

/** Dead-letter topics hold only records that need a human; one partition keeps them one ordered log. */
export const DEAD_LETTER_PARTITIONS = 1;

/**
 * Partitions needed for a topic that receives `eventsPerOrder` records per order at peak, scaled by
 * `share` (1 for a source topic, {@link RETRY_TRAFFIC_SHARE} for a retry tier):
 * `ceil(PEAK_ORDERS_PER_SECOND * eventsPerOrder * share * HEADROOM_FACTOR / ASSUMED_EVENTS_PER_SECOND_PER_PARTITION)`
 * rounded up to a multiple of {@link BROKER_COUNT}.
 */
export function requiredPartitions(eventsPerOrder: number, share = 1): number {
  const designRate = PEAK_ORDERS_PER_SECOND * eventsPerOrder * share * HEADROOM_FACTOR;
  const byThroughput = Math.max(1, Math.ceil(designRate / ASSUMED_EVENTS_PER_SECOND_PER_PARTITION));
  return Math.ceil(byThroughput / BROKER_COUNT) * BROKER_COUNT;
}

/** The calculation behind {@link requiredPartitions}, as a sentence for the catalog's rationale. */
export function describePartitionCalculation(eventsPerOrder: number, share = 1): string {
  const designRate = PEAK_ORDERS_PER_SECOND * eventsPerOrder * share * HEADROOM_FACTOR;
  const raw = designRate / ASSUMED_EVENTS_PER_SECOND_PER_PARTITION;
  const shareText = share === 1 ? '' : ` x ${share} retried share`;
  return (
    `${PEAK_ORDERS_PER_SECOND} orders/s x ${eventsPerOrder} record(s)/order${shareText} x ${HEADROOM_FACTOR} headroom ` +
    `= ${designRate} records/s; / ${ASSUMED_EVENTS_PER_SECOND_PER_PARTITION} records/s per partition (assumed, ` +
    `to be measured with the load tool) = ${Number(raw.toFixed(2))}; rounded up to a multiple of ${BROKER_COUNT} ` +
    `brokers = ${requiredPartitions(eventsPerOrder, share)}`
  );
}
