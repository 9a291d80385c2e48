/**
 * Whose orders a request may touch. The customer is the bearer token's subject (never a field of the
 * request); an operator acts on any customer's orders. Another customer's order is answered exactly like a
 * missing one (404 ORD_NOT_FOUND), so a customer cannot even learn that an order id exists.
 */
import { type Access, hasRole, type Principal, platformError } from '@shop/platform';
import { orderError } from '../errors.ts';

/** Routes on one's own orders: the customer, and an operator on their behalf. */
export const CUSTOMER_ACCESS: Access = ['customer', 'operator'];

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The customer id of a customer's token (lowercase); PLT_FORBIDDEN when its subject is not a customer id. */
export function customerOf(caller: Principal): string {
  const id = caller.subject.toLowerCase();
  if (!UUID_PATTERN.test(id)) {
    throw platformError('PLT_FORBIDDEN', "The token's subject is not a customer id (a UUID)");
  }
  return id;
}

/** The order when the caller may see it; undefined (answered as not found) when it is another customer's. */
export function visibleTo<T extends { readonly customerId: string }>(caller: Principal, order: T | undefined) {
  if (order === undefined || hasRole(caller, 'operator')) return order;
  return hasRole(caller, 'customer') && order.customerId === customerOf(caller) ? order : undefined;
}

/** Throws ORD_NOT_FOUND unless the caller may act on the order. */
export function assertVisible(caller: Principal, order: { readonly customerId: string } | undefined, orderId: string) {
  if (visibleTo(caller, order) === undefined) throw orderError('ORD_NOT_FOUND', `No order ${orderId}`);
}

/**
 * Whose orders `GET /orders` lists: an operator's the named customer's (required), a customer's their own.
 * Undefined when a customer names another customer (the answer is an empty page).
 */
export function listedCustomer(caller: Principal, named: string | undefined): string | undefined {
  if (hasRole(caller, 'operator')) {
    if (named === undefined) {
      throw orderError(
        'ORD_CUSTOMER_ID_REQUIRED',
        'An operator lists one customer (customerId) or one state (status, sagaState)',
      );
    }
    return named;
  }
  const own = customerOf(caller);
  return named === undefined || named === own ? own : undefined;
}

/**
 * Listing by state (`status`, `sagaState`) is an operator's: across customers it shows every customer's
 * orders, and a customer filters their own few orders themselves. PLT_FORBIDDEN for anyone else.
 */
export function assertMayListByState(caller: Principal): void {
  if (!hasRole(caller, 'operator')) {
    throw platformError('PLT_FORBIDDEN', 'Only an operator lists orders by status or saga state');
  }
}
