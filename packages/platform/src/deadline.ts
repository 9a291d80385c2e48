/**
 * Bounds a call by a deadline: when `timeoutMs` passes first, the call's signal is aborted with the error
 * `onTimeout` makes and the returned promise rejects with that error. The abandoned call keeps running in
 * the background (a provider may still complete it: callers retry with the same idempotency key); its late
 * result or failure is observed here and dropped, so it is never an unhandled rejection.
 */
export async function withDeadline<T>(
  call: (signal: AbortSignal) => Promise<T>,
  options: {
    /** Longest the call may take. */
    timeoutMs: number;
    /** The error for a call that ran out of time (a retryable, coded error of the caller's catalogue). */
    onTimeout: () => Error;
  },
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = options.onTimeout();
      controller.abort(error);
      reject(error);
    }, options.timeoutMs);
  });
  const pending = call(controller.signal);
  void pending.catch(() => undefined);
  try {
    return await Promise.race([pending, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
