import { platformMigrations } from '@shop/platform/platform-migrations';
import type { ServiceDefinition } from '@shop/platform/service';

export const inventoryService: ServiceDefinition = {
  name: 'inventory-service',
  defaultPort: 8082,
  defaultDatabase: 'inventory',
  migrations: [platformMigrations],
  async start() {},
};
