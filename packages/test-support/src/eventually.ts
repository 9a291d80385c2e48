/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`; the failure's
 * message ends with what `diagnose` says then (e.g. the service's last log lines).
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
  diagnose?: () => string | Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const diagnosis = diagnose === undefined ? '' : `\n${await diagnose()}`;
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${diagnosis}`, { cause: lastError });
}
