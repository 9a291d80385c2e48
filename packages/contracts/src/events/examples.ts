/**
 * Fixed ids and instants shared by the events' examples, so the generated docs tell one coherent
 * story (one order, one payment) and regenerate byte for byte.
 */
export const EXAMPLE_ORDER_ID = '3f2b8c4e-9d1a-4e7b-8c5f-1a2b3c4d5e6f';
export const EXAMPLE_CUSTOMER_ID = '9b2d7f3a-6c1e-4d8b-a5f0-3e7c2b1a9d84';
export const EXAMPLE_PAYMENT_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
export const EXAMPLE_REFUND_ID = 'a1b2c3d4-e5f6-4789-8abc-def012345678';
export const EXAMPLE_CHARGE_EXPIRES_AT = '2025-06-01T12:05:00.000Z';
