import { platformMigrations } from '@shop/platform/platform-migrations';
import type { ServiceDefinition } from '@shop/platform/service';

export const orderService: ServiceDefinition = {
  name: 'order-service',
  defaultPort: 8081,
  defaultDatabase: 'orders',
  migrations: [platformMigrations],
  async start() {},
};
