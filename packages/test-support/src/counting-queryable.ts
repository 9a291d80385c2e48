/** A stand-in for a pool that passes every statement on to it and counts them (round trips per operation). */
export function countingQueryable<T extends { query: (...args: never[]) => unknown }>(
  target: T,
): { queryable: T; statements(): number; reset(): void } {
  let statements = 0;
  const queryable = {
    query: (...args: unknown[]) => {
      statements++;
      return (target.query as (...a: unknown[]) => unknown).apply(target, args);
    },
  } as unknown as T;
  return {
    queryable,
    statements: () => statements,
    reset: () => {
      statements = 0;
    },
  };
}
