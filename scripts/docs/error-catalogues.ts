/**
 * Every error-code catalogue of the repository, in the order docs/errors.md lists them. A package that
 * adds a catalogue adds it here; the doc-sync test then requires it in docs/errors.md.
 */
import { CONTRACT_ERRORS, contractError } from '@shop/contracts/errors';
import {
  type AppError,
  type ErrorCatalogue,
  HTTP_ERRORS,
  httpError,
  PLATFORM_ERRORS,
  platformError,
} from '@shop/platform';
import { CONSOLE_ERRORS, consoleError } from '@shop/tools/console/errors';
import { DLT_ERRORS, dltError } from '@shop/tools/dlt/errors';
import { LAG_ERRORS, lagError } from '@shop/tools/lag/errors';
import { INVENTORY_ERRORS, inventoryError } from '../../services/inventory/src/errors.ts';
import { NOTIFICATION_ERRORS, notificationError } from '../../services/notification/src/errors.ts';
import { ORDER_ERRORS, orderError } from '../../services/order/src/errors.ts';
import { PAYMENT_ERRORS, paymentError } from '../../services/payment/src/errors.ts';

export interface CatalogueEntry {
  /** Every code starts with `${prefix}_`. */
  readonly prefix: string;
  /** The package (or part of one) that owns the codes: the section heading of docs/errors.md. */
  readonly owner: string;
  /** The file that defines the catalogue, relative to the repository root. */
  readonly source: string;
  /** Where the codes show up, one sentence for the document. */
  readonly reachedThrough: string;
  readonly catalogue: ErrorCatalogue;
  readonly factory: (code: never, message: string) => AppError;
}

export const ERROR_CATALOGUES: readonly CatalogueEntry[] = [
  {
    prefix: 'ORD',
    owner: 'Order Service',
    source: 'services/order/src/errors.ts',
    reachedThrough: 'HTTP answers of the Order API, and dead-letter headers of the order saga consumer.',
    catalogue: ORDER_ERRORS,
    factory: orderError,
  },
  {
    prefix: 'INV',
    owner: 'Inventory Service',
    source: 'services/inventory/src/errors.ts',
    reachedThrough: 'HTTP answers of the Inventory API, and dead-letter headers of its consumers.',
    catalogue: INVENTORY_ERRORS,
    factory: inventoryError,
  },
  {
    prefix: 'PAY',
    owner: 'Payment Service',
    source: 'services/payment/src/errors.ts',
    reachedThrough: 'Dead-letter headers of `processPayments` (the Payment API answers none of these).',
    catalogue: PAYMENT_ERRORS,
    factory: paymentError,
  },
  {
    prefix: 'NTF',
    owner: 'Notification Service',
    source: 'services/notification/src/errors.ts',
    reachedThrough: 'Dead-letter headers of `notifyCustomers`; no code reaches HTTP today.',
    catalogue: NOTIFICATION_ERRORS,
    factory: notificationError,
  },
  {
    prefix: 'PLT',
    owner: 'Platform',
    source: 'packages/platform/src/errors.ts',
    reachedThrough:
      'Start-up failures, HTTP answers of every service (`PLT_INFRASTRUCTURE`, `PLT_UNEXPECTED`), and dead-letter headers of every consumer.',
    catalogue: PLATFORM_ERRORS,
    factory: platformError,
  },
  {
    prefix: 'HTTP',
    owner: 'Platform HTTP layer',
    source: 'packages/platform/src/errors.ts',
    reachedThrough:
      "HTTP answers of every service. Fastify's body errors keep their own `FST_ERR_CTP_*` codes (400, 413, 415).",
    catalogue: HTTP_ERRORS,
    factory: httpError,
  },
  {
    prefix: 'CTR',
    owner: 'Contracts',
    source: 'packages/contracts/src/errors.ts',
    reachedThrough:
      'Dead-letter headers of every consumer (a record that fails decoding), and the error thrown when encoding an invalid event.',
    catalogue: CONTRACT_ERRORS,
    factory: contractError,
  },
  {
    prefix: 'DLT',
    owner: 'dlt CLI (tools)',
    source: 'tools/src/dlt/errors.ts',
    reachedThrough: 'The `dlt` CLI (message and exit code 1).',
    catalogue: DLT_ERRORS,
    factory: dltError,
  },
  {
    prefix: 'LAG',
    owner: 'lag CLI and monitor (tools)',
    source: 'tools/src/lag/errors.ts',
    reachedThrough: 'The `lag` CLI and the lag monitor.',
    catalogue: LAG_ERRORS,
    factory: lagError,
  },
  {
    prefix: 'CON',
    owner: 'Operator console (tools)',
    source: 'tools/src/console/errors.ts',
    reachedThrough: "The console's API and its pages (a service's own refusal keeps the service's code).",
    catalogue: CONSOLE_ERRORS,
    factory: consoleError,
  },
];
