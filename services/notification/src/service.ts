import { platformMigrations } from '@shop/platform/platform-migrations';
import type { ServiceDefinition } from '@shop/platform/service';

export const notificationService: ServiceDefinition = {
  name: 'notification-service',
  defaultPort: 8084,
  defaultDatabase: 'notifications',
  migrations: [platformMigrations],
  async start() {},
};
