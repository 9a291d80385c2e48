import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { Logger } from '../../src/logger.ts';
import { COLLECT_ERRORS_METRIC, scrapeGauge } from '../../src/metrics/scrape-gauge.ts';

/** A logger that counts what it was asked to log. */
function countingLogger() {
  const counts = { warn: 0, info: 0 };
  const logger = {
    warn: () => {
      counts.warn++;
    },
    info: () => {
      counts.info++;
    },
  } as unknown as Logger;
  return { logger, counts };
}

function line(metrics: string, series: string): string | undefined {
  return metrics.split('\n').find((entry) => entry.startsWith(`${series} `));
}

test('a gauge whose read throws should keep its last value, count the failure in the same scrape and log it once', async () => {
  const registry = new Registry();
  const { logger, counts } = countingLogger();
  let fail = false;
  scrapeGauge({
    name: 'test_rows',
    help: 'rows',
    registry,
    logger,
    read: async () => {
      if (fail) throw new Error('database is not accepting connections');
      return [{ value: 7 }];
    },
  });
  assert.equal(line(await registry.metrics(), 'test_rows'), 'test_rows 7');
  fail = true;
  const first = await registry.metrics();
  assert.equal(line(first, 'test_rows'), 'test_rows 7', 'the last value stays');
  assert.equal(
    line(first, `${COLLECT_ERRORS_METRIC}{gauge="test_rows"}`),
    `${COLLECT_ERRORS_METRIC}{gauge="test_rows"} 1`,
  );
  const second = await registry.metrics();
  assert.equal(
    line(second, `${COLLECT_ERRORS_METRIC}{gauge="test_rows"}`),
    `${COLLECT_ERRORS_METRIC}{gauge="test_rows"} 2`,
  );
  assert.equal(counts.warn, 1, 'one warning for the run of failures');
  fail = false;
  assert.equal(line(await registry.metrics(), 'test_rows'), 'test_rows 7');
  assert.equal(counts.info, 1, 'the recovery is logged');
});

test('a gauge whose read hangs should let the scrape answer after its deadline', async () => {
  const registry = new Registry();
  const { logger } = countingLogger();
  scrapeGauge({
    name: 'test_hanging',
    help: 'never answers',
    registry,
    logger,
    timeoutMs: 50,
    read: () => new Promise<never>(() => {}),
  });
  const started = Date.now();
  const metrics = await registry.metrics();
  assert.ok(Date.now() - started < 2_000, 'the scrape did not wait for the read');
  assert.equal(
    line(metrics, `${COLLECT_ERRORS_METRIC}{gauge="test_hanging"}`),
    `${COLLECT_ERRORS_METRIC}{gauge="test_hanging"} 1`,
  );
});

test("a gauge with whenUnreadable 'clear' should drop its series while its read fails", async () => {
  const registry = new Registry();
  const { logger } = countingLogger();
  let fail = false;
  scrapeGauge({
    name: 'test_buckets',
    help: 'by bucket',
    labelNames: ['bucket'],
    registry,
    logger,
    whenUnreadable: 'clear',
    read: async () => {
      if (fail) throw new Error('down');
      return [{ labels: { bucket: 'available' }, value: 3 }];
    },
  });
  assert.equal(
    line(await registry.metrics(), 'test_buckets{bucket="available"}'),
    'test_buckets{bucket="available"} 3',
  );
  fail = true;
  assert.equal(line(await registry.metrics(), 'test_buckets{bucket="available"}'), undefined);
});
