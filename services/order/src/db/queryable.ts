/** The one method of a pool or client the Order Service's SQL needs: callers decide what commits together. */
import type { PoolClient } from '@shop/platform/db/pool';

export type Queryable = Pick<PoolClient, 'query'>;
