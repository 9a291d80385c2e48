import { performance } from 'node:perf_hooks';
import { Counter, type Registry } from 'prom-client';

export const EVENT_LOOP_BUSY_METRIC = 'nodejs_eventloop_busy_seconds_total';

/**
 * Seconds the event loop spent running code since the process started (Node's event-loop utilisation,
 * as a counter): `rate()` of it is the share of the loop in use, 1 when the process cannot keep up
 * whatever its CPU. prom-client's default metrics give the loop's lag, which says when callbacks ran
 * late, not how close the loop is to full.
 */
export function registerEventLoopBusy(registry: Registry): Counter {
  let reported = 0;
  return new Counter({
    name: EVENT_LOOP_BUSY_METRIC,
    help: 'Seconds the event loop spent running callbacks (its utilisation, as a counter: rate() is the busy share)',
    registers: [registry],
    collect() {
      // Utilisation's active time only grows: the counter follows it by its increments.
      const active = performance.eventLoopUtilization().active / 1_000;
      if (active > reported) {
        this.inc(active - reported);
        reported = active;
      }
    },
  });
}
