/**
 * The load generator of one benchmark rate, in its own process so that its CPU is its pid's and nothing
 * else's (the bench's sampler runs in the parent). Input: one JSON argument (LoadWorkerInput). Output on
 * stdout, one JSON object per line: `{ "started": epochMs }` when the first order goes out, `{ "progress": LoadProgress }` every second, `{ "settled": epochMs }` when every order is final (or the drain
 * ended), then `{ "report": LoadReport }`.
 */
import { type LoadOptions, runLoad } from '../load/load-run.ts';

export type LoadWorkerInput = Omit<LoadOptions, 'onProgress'>;

export type LoadWorkerMessage =
  | { started: number }
  | { settled: number }
  | { progress: import('../load/load-run.ts').LoadProgress }
  | { report: import('../load/load-run.ts').LoadReport };

function emit(message: LoadWorkerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const input = JSON.parse(process.argv[2] ?? '{}') as LoadWorkerInput;
const report = await runLoad({
  ...input,
  onStart: (at) => emit({ started: at.getTime() }),
  onSettled: (at) => emit({ settled: at.getTime() }),
  onProgress: (progress) => emit({ progress }),
});
emit({ report });
