import { setTimeout as sleep } from 'node:timers/promises';

/** Quick enough to notice state changes promptly, slow enough not to flood a recovering broker. */
const POLL_INTERVAL_MS = 250;

/** Re-evaluates `check` until it returns a value other than undefined, or fails after timeoutMs. */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}
