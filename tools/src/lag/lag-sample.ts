import { type LagStatus, type StatusOptions, StatusWindow } from './burrow-status.ts';
import type { GroupLag } from './lag-reader.ts';

/** The status input of one reading of a group. */
export function toGroupSample(lag: GroupLag): Parameters<StatusWindow['add']>[0] {
  return {
    at: lag.readAt,
    // An unknown state (describe failed) says nothing about members; 0 would read as "consumer gone".
    members: lag.state === 'Unknown' ? undefined : lag.members,
    partitions: new Map(
      lag.partitions.map((p) => [
        `${p.topic}/${p.partition}`,
        {
          committedOffset: p.committedOffset,
          lag: p.lag,
          logStartOffset: p.logStartOffset,
          logEndOffset: p.logEndOffset,
        },
      ]),
    ),
    ...(lag.error === undefined ? {} : { error: lag.error }),
  };
}

/** One status window per group, fed with every reading of the groups. */
export class LagTracker {
  readonly #options: StatusOptions;
  readonly #windows = new Map<string, StatusWindow>();

  constructor(options: StatusOptions = {}) {
    this.#options = options;
  }

  add(readings: readonly GroupLag[]): void {
    for (const reading of readings) {
      let window = this.#windows.get(reading.group);
      if (window === undefined) {
        window = new StatusWindow(this.#options);
        this.#windows.set(reading.group, window);
      }
      window.add(toGroupSample(reading));
    }
  }

  /** The status of every group seen so far. */
  statuses(): Map<string, LagStatus> {
    return new Map([...this.#windows].map(([group, window]) => [group, window.status().status]));
  }
}
