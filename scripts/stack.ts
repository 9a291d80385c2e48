import { inventoryService } from '../services/inventory/src/service.ts';
import { notificationService } from '../services/notification/src/service.ts';
import { orderService } from '../services/order/src/service.ts';
import { paymentService } from '../services/payment/src/service.ts';

/** The processes `npm start` runs, in start order. Ports and databases come from each service's own definition. */
export const STACK_SERVICES = [
  { definition: orderService, entry: 'services/order/src/main.ts', label: 'order' },
  { definition: inventoryService, entry: 'services/inventory/src/main.ts', label: 'inventory' },
  { definition: paymentService, entry: 'services/payment/src/main.ts', label: 'payment' },
  { definition: notificationService, entry: 'services/notification/src/main.ts', label: 'notification' },
] as const;

/** Operator processes `npm start` runs beside the services (not services: no database, no topics of their own). */
export const STACK_TOOLS = [
  { entry: 'tools/src/lag/lag-monitor-main.ts', label: 'lag-monitor', port: 9308, portEnv: 'LAG_MONITOR_PORT' },
  // The operator console (docs/console.md): builds its front end at start, then serves it with its live API.
  { entry: 'tools/src/console/console-main.ts', label: 'console', port: 8080, portEnv: 'CONSOLE_PORT' },
] as const;
