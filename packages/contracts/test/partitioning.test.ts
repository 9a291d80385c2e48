import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ASSUMED_EVENTS_PER_SECOND_PER_PARTITION,
  BROKER_COUNT,
  describePartitionCalculation,
  HEADROOM_FACTOR,
  PEAK_ORDERS_PER_SECOND,
  RETRY_TRAFFIC_SHARE,
  requiredPartitions,
} from '../src/partitioning.ts';

test('required partitions should be the design rate over per-partition throughput, rounded up to whole brokers', () => {
  // 500 orders/s x 1 x 2 / 250 = 4, rounded up to a multiple of 3
  assert.equal(requiredPartitions(1), 6);
  // 500 x 2 x 2 / 250 = 8 -> 9
  assert.equal(requiredPartitions(2), 9);
  // 500 x 1 x 0.25 x 2 / 250 = 1 -> 3
  assert.equal(requiredPartitions(1, RETRY_TRAFFIC_SHARE), 3);
  for (const recordsPerOrder of [0.1, 1, 2, 3, 7]) {
    const partitions = requiredPartitions(recordsPerOrder);
    assert.equal(partitions % BROKER_COUNT, 0);
    const capacity = partitions * ASSUMED_EVENTS_PER_SECOND_PER_PARTITION;
    assert.ok(capacity >= PEAK_ORDERS_PER_SECOND * recordsPerOrder * HEADROOM_FACTOR);
  }
});

test('the calculation text should state the peak, the headroom and that throughput is an assumption to measure', () => {
  const text = describePartitionCalculation(2);
  assert.match(text, /500 orders\/s x 2 record\(s\)\/order x 2 headroom = 2000 records\/s/);
  assert.match(text, /250 records\/s per partition \(assumed, to be measured with the load tool\) = 8/);
  assert.match(text, /= 9$/);
});
