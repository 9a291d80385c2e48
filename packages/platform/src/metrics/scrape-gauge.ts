import { Counter, Gauge, type Registry } from 'prom-client';
import { withDeadline } from '../deadline.ts';
import { platformError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * Longest a gauge may take to read its value at scrape time. Prometheus gives a whole scrape 10 s by
 * default; a read that waits for a connection to a database that is not there (up to the pool's connect
 * timeout) must not spend them all.
 */
export const SCRAPE_READ_TIMEOUT_MS = 2_000;

/** Counts the reads of scrape-time gauges that failed or timed out, by gauge. */
export const COLLECT_ERRORS_METRIC = 'gauge_collect_errors_total';

/** One sample of a gauge: its labels (none for an unlabelled gauge) and value. */
export interface GaugeSample<Label extends string> {
  labels?: Partial<Record<Label, string>>;
  value: number;
}

export interface ScrapeGaugeOptions<Label extends string> {
  name: string;
  help: string;
  /** Default: none. */
  labelNames?: readonly Label[];
  registry: Registry;
  /** Where the first failure of a run of failed reads is logged (once, not once per scrape). */
  logger: Logger;
  /** Reads the current samples, typically from the database. Replaces all samples of the gauge. */
  read(): Promise<readonly GaugeSample<Label>[]>;
  /**
   * What the gauge shows while `read` fails: `'keep-last'` the samples of the last successful read,
   * `'clear'` none (the series disappear, unknown rather than stale). Default: `'keep-last'`.
   */
  whenUnreadable?: 'keep-last' | 'clear';
  /** Default: SCRAPE_READ_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * A gauge read when Prometheus scrapes that can never fail the scrape. prom-client awaits every collect
 * of a registry together, so one that throws makes the whole /metrics answer fail, and metrics are lost
 * exactly when the database is the problem. Here a read that throws or outlasts its deadline is counted
 * in COLLECT_ERRORS_METRIC (label `gauge`), logged once per run of failures, and leaves the gauge as
 * `whenUnreadable` says; the scrape answers with everything else.
 */
export function scrapeGauge<Label extends string>(options: ScrapeGaugeOptions<Label>): Gauge<Label> {
  const errors = collectErrors(options.registry);
  const timeoutMs = options.timeoutMs ?? SCRAPE_READ_TIMEOUT_MS;
  let failing = false;
  const gauge: Gauge<Label> = new Gauge<Label>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames ?? [],
    registers: [options.registry],
    collect() {
      const reading = refresh();
      // Announced synchronously: the error counter's collect waits for every read of the same scrape.
      errors.reading.add(reading);
      return reading.finally(() => errors.reading.delete(reading));
    },
  });
  async function refresh(): Promise<void> {
    try {
      const samples = await withDeadline(() => options.read(), {
        timeoutMs,
        onTimeout: () => platformError('PLT_INFRASTRUCTURE', `${options.name} was not read within ${timeoutMs} ms`),
      });
      gauge.reset();
      for (const sample of samples) {
        if (sample.labels === undefined) gauge.set(sample.value);
        else gauge.set(sample.labels, sample.value);
      }
      if (failing) options.logger.info({ gauge: options.name }, 'gauge readable again');
      failing = false;
    } catch (error) {
      errors.counter.inc({ gauge: options.name });
      if (options.whenUnreadable === 'clear') gauge.reset();
      if (!failing) {
        options.logger.warn(
          { err: error, gauge: options.name },
          'gauge could not be read; it is served as it stands until a read succeeds',
        );
      }
      failing = true;
    }
  }
  return gauge;
}

/** A registry's COLLECT_ERRORS_METRIC and the scrape-time reads in progress on it. */
interface CollectErrors {
  readonly counter: Counter<'gauge'>;
  readonly reading: Set<Promise<void>>;
}

const collectErrorsByRegistry = new WeakMap<Registry, CollectErrors>();

/**
 * The registry's COLLECT_ERRORS_METRIC, made by its first scrape gauge. prom-client starts every metric's
 * collect of a scrape in one synchronous pass and serialises each as soon as its own collect is done, so
 * the counter waits for that pass to end (one macrotask) and for the reads it started: a failure is
 * counted in the scrape that saw it, not only in the next one.
 */
function collectErrors(registry: Registry): CollectErrors {
  const existing = collectErrorsByRegistry.get(registry);
  if (existing !== undefined) return existing;
  const reading = new Set<Promise<void>>();
  const counter = new Counter({
    name: COLLECT_ERRORS_METRIC,
    help: 'Reads of scrape-time gauges that failed or timed out (the gauge kept its last value or was cleared)',
    labelNames: ['gauge'],
    registers: [registry],
    async collect() {
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.allSettled([...reading]);
    },
  });
  const created = { counter, reading };
  collectErrorsByRegistry.set(registry, created);
  return created;
}
