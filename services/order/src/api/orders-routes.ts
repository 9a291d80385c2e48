/**
 * The order API:
 * - `POST /orders` → 202 `{ orderId, status: "PENDING" }`, `Location: /orders/{id}`; honours `Idempotency-Key`.
 *   In the REST reservation mode it answers at once instead: 201 `{ orderId, status: "RESERVED", total }` (stock
 *   held, payment pending), 409 ORD_OUT_OF_STOCK, or 503 ORD_INVENTORY_UNAVAILABLE.
 * - `GET /orders/{id}[?wait=<seconds>]` → the order; while PENDING with `Retry-After` and a message.
 * - `GET /orders[?customerId=<uuid>][&limit=<n>][&before=<orderId>]` → the caller's orders (an operator's:
 *   the named customer's), newest first. An operator's `status=<order status>` and/or `sagaState=<saga
 *   state>` list the orders in that state, across customers unless customerId names one.
 * - `POST /orders/{id}/cancel` and the operator's `POST /sagas/{id}/retry`: see saga-routes.ts.
 *
 * The customer is the bearer token's subject, never a field of the request (customer-scope.ts): a customer
 * sees, lists and cancels only their own orders, and another customer's order is 404, as if it did not exist.
 */
import { CustomerContact } from '@shop/contracts/values';
import { isAppError, principal, rateLimitPerCaller, routeErrors } from '@shop/platform';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Compile } from 'typebox/compile';
import { listOrderPage, OrderReads } from '../app/order-queries.ts';
import { OrderPlacements } from '../app/place-orders.ts';
import { reserveSynchronously, type SynchronousReservation } from '../app/reserve-synchronously.ts';
import type { SagaUseCaseDependencies } from '../app/saga-dependencies.ts';
import { itemsUnavailableReason } from '../domain/cancel-reason.ts';
import { PENDING_RETRY_AFTER_SECONDS } from '../domain/order.ts';
import { toPlaceOrderCommand } from '../domain/place-order-command.ts';
import type { ReservationService } from '../domain/reservation-service.ts';
import type { SettlementSubscriptions } from '../domain/settlement-wakeups.ts';
import { ORDER_ERRORS, orderError } from '../errors.ts';
import { awaitSettlement, MAX_WAIT_SECONDS } from './await-settlement.ts';
import { assertMayListByState, CUSTOMER_ACCESS, customerOf, listedCustomer, visibleTo } from './customer-scope.ts';
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
  /** The REST reservation mode's synchronous reservation; absent in the Kafka mode (the default). */
  reservations?: ReservationService;
  /** The reservation step's deadline in the REST mode (how long an unanswered call's order waits for a retry). */
  restReservationDeadlineMs?: number;
  /** `POST /orders` per customer and window before 429 ORD_RATE_LIMITED. */
  placeOrderRateLimit: { max: number; windowMs: number };
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
  'ORD_OUT_OF_STOCK',
  'ORD_INVENTORY_UNAVAILABLE',
  'ORD_RATE_LIMITED',
);
const GET_ORDER_ERRORS = routeErrors(ORDER_ERRORS, 'ORD_WAIT_TOO_LONG', 'ORD_NOT_FOUND');
const LIST_ORDERS_ERRORS = routeErrors(
  ORDER_ERRORS,
  'ORD_PAGE_LIMIT_OUT_OF_RANGE',
  'ORD_UNKNOWN_CURSOR',
  'ORD_CUSTOMER_ID_REQUIRED',
);

/**
 * The REST mode's answer: 201 while the order holds its stock (or has settled since, for a replay), 409
 * ORD_OUT_OF_STOCK when the reservation failed (the order is recorded CANCELLED, ITEMS_UNAVAILABLE).
 */
function answerReserved(reply: FastifyReply, orderId: string, reserved: SynchronousReservation): FastifyReply {
  reply.header('location', orderLocation(orderId));
  if (reserved.outcome === 'RESERVED') {
    return reply.status(201).send({ orderId, status: 'RESERVED', total: reserved.total });
  }
  if (reserved.outcome === 'FAILED') {
    return refuse(reply, 'ORD_OUT_OF_STOCK', itemsUnavailableReason(reserved.failures).message, orderId, {
      failures: reserved.failures,
    });
  }
  const { order } = reserved;
  if (order.status === 'CANCELLED' && order.cancelReason?.code === 'ITEMS_UNAVAILABLE') {
    return refuse(reply, 'ORD_OUT_OF_STOCK', order.cancelReason.message, orderId);
  }
  return reply.status(201).send({
    orderId,
    status: order.status === 'PENDING' ? 'RESERVED' : order.status,
    ...(order.total === undefined ? {} : { total: order.total }),
  });
}

/**
 * A refusal that names the order it recorded (`details.orderId`, and `Location`), answered here rather than
 * thrown: the shared error answer carries no details, and the customer needs the id to follow the order.
 */
function refuse(
  reply: FastifyReply,
  code: 'ORD_OUT_OF_STOCK' | 'ORD_INVENTORY_UNAVAILABLE',
  message: string,
  orderId: string | undefined,
  more: Record<string, unknown> = {},
): FastifyReply {
  if (orderId !== undefined) reply.header('location', orderLocation(orderId));
  return reply.status(ORDER_ERRORS[code].httpStatus).send({
    error: { code, message, ...(orderId === undefined ? {} : { details: { orderId, ...more } }) },
  });
}

export function registerOrderRoutes(app: FastifyInstance, dependencies: OrderRoutesDependencies): void {
  const { pool, metrics } = dependencies;
  const { reservations } = dependencies;
  const orderReads = new OrderReads(pool);
  const placements = new OrderPlacements({
    pool,
    events: dependencies.events,
    settings:
      reservations === undefined
        ? dependencies.settings
        : {
            reservationTimeoutMs: dependencies.restReservationDeadlineMs ?? dependencies.settings.reservationTimeoutMs,
          },
    publishOrderPlaced: reservations === undefined,
  });
  /** 503 ORD_INVENTORY_UNAVAILABLE; names the recorded order (retry it with the same Idempotency-Key), if any. */
  const unavailable = (reply: FastifyReply, orderId?: string, message?: string) => {
    reply.header('retry-after', String(OVERLOADED_RETRY_AFTER_SECONDS));
    return refuse(
      reply,
      'ORD_INVENTORY_UNAVAILABLE',
      message ?? 'Inventory is not answering (circuit open); retry in a moment',
      orderId,
    );
  };
  const placeOrderRoute = {
    schema: { body: PlaceOrderBody, headers: PlaceOrderHeaders },
    config: {
      errors: PLACE_ORDER_ERRORS,
      // Only a customer places orders: the order is theirs, and its customer id is the token's subject.
      access: ['customer'] as const,
      rateLimit: rateLimitPerCaller({
        ...dependencies.placeOrderRateLimit,
        error: (retryAfterSeconds) =>
          orderError(
            'ORD_RATE_LIMITED',
            `Too many orders from this customer; retry in ${retryAfterSeconds} s (Retry-After)`,
          ),
      }),
    },
  };
  app.post('/orders', placeOrderRoute, async (request, reply) => {
    const customerId = customerOf(principal(request));
    const result = toPlaceOrderCommand({ ...(request.body as PlaceOrderBody), customerId });
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
    // REST mode with the circuit open: refused before anything is written (the call would fail at once).
    if (reservations !== undefined && !reservations.available()) {
      metrics.shed.inc();
      return unavailable(reply);
    }
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    const placed = await placements.place(command, typeof key === 'string' ? key : undefined);
    if (placed.replayed) {
      metrics.idempotentReplays.inc();
      reply.header('idempotent-replayed', 'true');
    } else {
      metrics.placed.inc();
    }
    if (reservations !== undefined) {
      let reserved: SynchronousReservation;
      try {
        reserved = await reserveSynchronously({ ...dependencies, reservations }, placed.orderId, command.lines);
      } catch (error) {
        if (isAppError(error) && error.code === 'ORD_INVENTORY_UNAVAILABLE') {
          return unavailable(reply, placed.orderId, error.message);
        }
        throw error;
      }
      return answerReserved(reply, placed.orderId, reserved);
    }
    // A replay answers exactly as the first request did: placement always answers 202 PENDING.
    return reply
      .status(202)
      .header('location', orderLocation(placed.orderId))
      .send({ orderId: placed.orderId, status: 'PENDING' });
  });

  const getOrderRoute = {
    schema: { params: OrderParams, querystring: GetOrderQuery },
    config: { errors: GET_ORDER_ERRORS, access: CUSTOMER_ACCESS },
  };
  app.get('/orders/:id', getOrderRoute, async (request, reply) => {
    const orderId = (request.params as OrderParams).id.toLowerCase();
    const caller = principal(request);
    const { wait } = request.query as GetOrderQuery;
    const waitSeconds = wait === undefined ? 0 : Number(wait);
    if (waitSeconds > MAX_WAIT_SECONDS) {
      throw orderError('ORD_WAIT_TOO_LONG', `wait is at most ${MAX_WAIT_SECONDS} seconds`);
    }
    const order = await awaitSettlement({
      orderId,
      waitMs: waitSeconds * 1_000,
      // Another customer's order reads as absent from the first read on: 404 at once, never a long-poll.
      find: async () => visibleTo(caller, await orderReads.find(orderId)),
      wakeups: dependencies.waiters,
    });
    if (order === undefined) throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
    noStore(reply);
    if (order.status === 'PENDING') reply.header('retry-after', String(PENDING_RETRY_AFTER_SECONDS));
    return reply.send(orderResponse(order));
  });

  const listOrdersRoute = {
    schema: { querystring: ListOrdersQuery },
    config: { errors: LIST_ORDERS_ERRORS, access: CUSTOMER_ACCESS },
  };
  app.get('/orders', listOrdersRoute, async (request, reply) => {
    const query = request.query as ListOrdersQuery;
    const caller = principal(request);
    const byState = query.status !== undefined || query.sagaState !== undefined;
    if (byState) assertMayListByState(caller);
    const named = query.customerId?.toLowerCase();
    const customerId = byState ? named : listedCustomer(caller, named);
    if (!byState && customerId === undefined) {
      // A customer asking for another customer's orders sees none, as if that customer had none.
      noStore(reply);
      return reply.send({ orders: [], nextBefore: null });
    }
    const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
    if (limit < 1 || limit > MAX_PAGE_SIZE) {
      throw orderError('ORD_PAGE_LIMIT_OUT_OF_RANGE', `limit must be between 1 and ${MAX_PAGE_SIZE}`);
    }
    const before = query.before?.toLowerCase();
    // One extra row tells whether another page follows, without a count query.
    const rows = await listOrderPage(pool, {
      limit: limit + 1,
      ...(before === undefined ? {} : { before }),
      ...(customerId === undefined ? {} : { customerId }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.sagaState === undefined ? {} : { sagaState: query.sagaState }),
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
