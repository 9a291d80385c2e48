import { platformMigrations } from '@shop/platform/platform-migrations';
import type { ServiceDefinition } from '@shop/platform/service';

export const paymentService: ServiceDefinition = {
  name: 'payment-service',
  defaultPort: 8083,
  defaultDatabase: 'payments',
  migrations: [platformMigrations],
  async start() {},
};
