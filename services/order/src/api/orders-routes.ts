/**
 * The order API:
 * - `POST /orders` → 202 `{ orderId, status: "PENDING" }`, `Location: /orders/{id}`; honours `Idempotency-Key`.
 * - `GET /orders/{id}[?wait=<seconds>]` → the order; while PENDING with `Retry-After` and a message.
 * - `GET /orders?customerId=<uuid>[&limit=<n>][&before=<orderId>]` → that customer's orders, newest first.
 * - `POST /orders/{id}/cancel` and the operator's `POST /sagas/{id}/retry`: see saga-routes.ts.
 */
import { CustomerContact } from '@shop/contracts/values';
import { routeErrors } from '@shop/platform';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Compile } from 'typebox/compile';
import { findOrder, listCustomerOrders } from '../app/order-queries.ts';
import { OrderPlacements } from '../app/place-orders.ts';
import type { SagaUseCaseDependencies } from '../app/saga-dependencies.ts';
import { PENDING_RETRY_AFTER_SECONDS } from '../domain/order.ts';
import { toPlaceOrderCommand } from '../domain/place-order-command.ts';
import type { SettlementSubscriptions } from '../domain/settlement-wakeups.ts';
import { ORDER_ERRORS, orderError } from '../errors.ts';
import { awaitSettlement, MAX_WAIT_SECONDS } from './await-settlement.ts';
import {
  DEFAULT_PAGE_SIZE,
  GetOrderQuery,
  IDEMPOTENCY_KEY_HEADER,
  ListOrdersQuery,
  MAX_PAGE_SIZE,
  OrderParams,
  PlaceOrderBody,
  PlaceOrderHeaders,
} from './order-schemas.ts';
import { type OrderView, orderResponse, toOrderView } from './order-view.ts';
import { registerSagaRoutes } from './saga-routes.ts';

/** The saga's use-case dependencies (pool, events, metrics, settings, logger) and what the routes add. */
export interface OrderRoutesDependencies extends SagaUseCaseDependencies {
  /** What long-polling requests wait on. */
  waiters: SettlementSubscriptions;
  /** Requests waiting for a database connection at which new orders are refused (ORD_OVERLOADED). */
  maxDbQueue: number;
}

/**
 * Placements queued for the next group-commit statement, per allowed database waiter, before new orders are
 * refused: one queued statement carries many orders, so its queue is measured in orders, not connections.
 */
export const QUEUED_PLACEMENTS_PER_WAITER = 10;

/** Seconds a refused client is asked to wait (Retry-After of ORD_OVERLOADED). */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/**
 * The contract's own contact validator. Fastify's ajv and TypeBox implement `format: email` with different
 * expressions; a contact that only ajv accepts would be stored and then fail OrderConfirmed's validation at
 * settlement. Checking with the contract here refuses it while the customer is still there to fix it.
 */
const contractContact = Compile(CustomerContact('contact'));

function orderLocation(orderId: string): string {
  return `/orders/${orderId}`;
}

/** Orders change; a cached status would hide the settlement the customer is waiting for. */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}

/** The stable codes each route answers with beside the shared ones (documented in its OpenAPI responses). */
const PLACE_ORDER_ERRORS = routeErrors(
  ORDER_ERRORS,
  'ORD_LINE_QUANTITY_TOO_LARGE',
  'ORD_INVALID_PHONE',
  'ORD_INVALID_CONTACT',
  'ORD_OVERLOADED',
  'ORD_IDEMPOTENCY_KEY_REUSED',
);
const GET_ORDER_ERRORS = routeErrors(ORDER_ERRORS, 'ORD_WAIT_TOO_LONG', 'ORD_NOT_FOUND');
const LIST_ORDERS_ERRORS = routeErrors(ORDER_ERRORS, 'ORD_PAGE_LIMIT_OUT_OF_RANGE', 'ORD_UNKNOWN_CURSOR');

export function registerOrderRoutes(app: FastifyInstance, dependencies: OrderRoutesDependencies): void {
  const { pool, metrics } = dependencies;
  const placements = new OrderPlacements({ pool, events: dependencies.events, settings: dependencies.settings });

  const placeOrderRoute = {
    schema: { body: PlaceOrderBody, headers: PlaceOrderHeaders },
    config: { errors: PLACE_ORDER_ERRORS },
  };
  app.post('/orders', placeOrderRoute, async (request, reply) => {
    const result = toPlaceOrderCommand(request.body as PlaceOrderBody);
    if (!result.ok) throw orderError(result.code, result.message);
    const { command } = result;
    if (!contractContact.Check(command.contact)) {
      throw orderError('ORD_INVALID_CONTACT', 'contact.email is not an address we can send to');
    }
    if (
      pool.waitingCount >= dependencies.maxDbQueue ||
      placements.waiting >= dependencies.maxDbQueue * QUEUED_PLACEMENTS_PER_WAITER
    ) {
      // Shed load before taking a place in the queue: the orders already accepted keep their latency, and the
      // client learns at once (with a retryable code) instead of after the pool's 5 s timeout.
      metrics.shed.inc();
      reply.header('retry-after', String(OVERLOADED_RETRY_AFTER_SECONDS));
      throw orderError('ORD_OVERLOADED', 'Too many orders right now; retry in a moment (Retry-After)');
    }
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    const placed = await placements.place(command, typeof key === 'string' ? key : undefined);
    if (placed.replayed) {
      metrics.idempotentReplays.inc();
      reply.header('idempotent-replayed', 'true');
    } else {
      metrics.placed.inc();
    }
    // A replay answers exactly as the first request did: placement always answers 202 PENDING.
    return reply
      .status(202)
      .header('location', orderLocation(placed.orderId))
      .send({ orderId: placed.orderId, status: 'PENDING' });
  });

  const getOrderRoute = {
    schema: { params: OrderParams, querystring: GetOrderQuery },
    config: { errors: GET_ORDER_ERRORS },
  };
  app.get('/orders/:id', getOrderRoute, async (request, reply) => {
    const orderId = (request.params as OrderParams).id.toLowerCase();
    const { wait } = request.query as GetOrderQuery;
    const waitSeconds = wait === undefined ? 0 : Number(wait);
    if (waitSeconds > MAX_WAIT_SECONDS) {
      throw orderError('ORD_WAIT_TOO_LONG', `wait is at most ${MAX_WAIT_SECONDS} seconds`);
    }
    const order = await awaitSettlement({
      orderId,
      waitMs: waitSeconds * 1_000,
      find: () => findOrder(pool, orderId),
      wakeups: dependencies.waiters,
    });
    if (order === undefined) throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
    noStore(reply);
    if (order.status === 'PENDING') reply.header('retry-after', String(PENDING_RETRY_AFTER_SECONDS));
    return reply.send(orderResponse(order));
  });

  const listOrdersRoute = { schema: { querystring: ListOrdersQuery }, config: { errors: LIST_ORDERS_ERRORS } };
  app.get('/orders', listOrdersRoute, async (request, reply) => {
    const query = request.query as ListOrdersQuery;
    const customerId = query.customerId.toLowerCase();
    const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
    if (limit < 1 || limit > MAX_PAGE_SIZE) {
      throw orderError('ORD_PAGE_LIMIT_OUT_OF_RANGE', `limit must be between 1 and ${MAX_PAGE_SIZE}`);
    }
    const before = query.before?.toLowerCase();
    // One extra row tells whether another page follows, without a count query.
    const rows = await listCustomerOrders(pool, {
      customerId,
      limit: limit + 1,
      ...(before === undefined ? {} : { before }),
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const body: { orders: OrderView[]; nextBefore: string | null } = {
      orders: page.map(toOrderView),
      nextBefore: rows.length > limit && last !== undefined ? last.id : null,
    };
    noStore(reply);
    return reply.send(body);
  });

  registerSagaRoutes(app, dependencies);
}
