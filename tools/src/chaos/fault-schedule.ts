/**
 * What a chaos run breaks and when, in seconds from the first order. A fault's effect is measured until the
 * next fault starts (or the load ends), so faults are spaced wider than the recovery they must show.
 */
import { readFileSync } from 'node:fs';
import type { StackProcessLabel } from '../load/stack-processes.ts';

export type Fault =
  /** SIGKILL the broker leading `order-service.order-placed` partition 0; start it again after `downSeconds`. */
  | { kind: 'kill-partition-leader'; at: number; downSeconds: number }
  /** SIGSTOP one broker (it holds its sockets but answers nothing), SIGCONT after `downSeconds`. */
  | { kind: 'pause-broker'; at: number; downSeconds: number }
  /** SIGKILL one instance of `service` (the outbox relay's leader when it can be told), restarted after `downSeconds`. */
  | { kind: 'kill-instance'; at: number; service: StackProcessLabel; downSeconds: number }
  /** Restart the PostgreSQL server every service uses (`pg_ctl restart -m fast`). */
  | { kind: 'restart-postgres'; at: number }
  /** Stop (SIGTERM) and start every instance of `service`, one after the other. */
  | { kind: 'rolling-restart'; at: number; service: StackProcessLabel };

export type FaultKind = Fault['kind'];

/** The full run's length the default schedule is written for; other durations scale its times. */
export const DEFAULT_SCHEDULE_SECONDS = 300;

/** `npm run chaos` without options: every fault the suite must survive, within 5 minutes. */
export const DEFAULT_SCHEDULE: readonly Fault[] = [
  { kind: 'kill-partition-leader', at: 20, downSeconds: 20 },
  { kind: 'kill-partition-leader', at: 60, downSeconds: 20 },
  { kind: 'kill-partition-leader', at: 100, downSeconds: 20 },
  { kind: 'pause-broker', at: 140, downSeconds: 20 },
  { kind: 'kill-instance', at: 170, service: 'order', downSeconds: 10 },
  { kind: 'kill-instance', at: 190, service: 'inventory', downSeconds: 10 },
  { kind: 'kill-instance', at: 210, service: 'payment', downSeconds: 10 },
  { kind: 'kill-instance', at: 230, service: 'notification', downSeconds: 10 },
  { kind: 'restart-postgres', at: 250 },
  { kind: 'rolling-restart', at: 265, service: 'order' },
];

/** The CI form: one fault of each layer (broker, instance, database) in a little over a minute of load. */
export const SHORT_SCHEDULE_SECONDS = 80;
export const SHORT_SCHEDULE: readonly Fault[] = [
  { kind: 'kill-partition-leader', at: 15, downSeconds: 15 },
  { kind: 'kill-instance', at: 40, service: 'order', downSeconds: 10 },
  { kind: 'restart-postgres', at: 60 },
];

/** A fault as the report names it: `kill-instance order`, `kill-partition-leader`. */
export function describeFault(fault: Fault): string {
  return 'service' in fault ? `${fault.kind} ${fault.service}` : fault.kind;
}

/**
 * The schedule for a run: 'default' or 'short' (their times scaled to `durationSeconds`), 'none', or the
 * path of a JSON file holding an array of faults (times used as written). Faults at or after the end of the
 * load are dropped: their recovery could not be measured.
 */
export function resolveSchedule(name: string, durationSeconds: number): Fault[] {
  let faults: Fault[];
  if (name === 'none') faults = [];
  else if (name === 'default' || name === 'short') {
    const [base, length] =
      name === 'default' ? [DEFAULT_SCHEDULE, DEFAULT_SCHEDULE_SECONDS] : [SHORT_SCHEDULE, SHORT_SCHEDULE_SECONDS];
    const scale = durationSeconds / length;
    faults = base.map((fault) => ({ ...fault, at: Math.round(fault.at * scale) }));
  } else {
    faults = JSON.parse(readFileSync(name, 'utf8')) as Fault[];
    if (!Array.isArray(faults)) throw new Error(`${name}: a schedule is a JSON array of faults`);
  }
  return faults.filter((fault) => fault.at < durationSeconds).sort((a, b) => a.at - b.at);
}
