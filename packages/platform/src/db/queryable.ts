import type { PoolClient } from './pool.ts';

/**
 * The narrow port repositories need from the driver: run a statement. A pool (each statement its own
 * transaction) and a client inside `inTransaction` both satisfy it; a function that locks rows or must
 * see its own writes says in its contract that it needs the transaction's client.
 */
export type Queryable = Pick<PoolClient, 'query'>;
