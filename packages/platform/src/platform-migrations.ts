import { fileURLToPath } from 'node:url';
import type { MigrationSource } from './db/migrate.ts';

/** Tables every service database has: the outbox and the inbox. */
export const platformMigrations: MigrationSource = {
  name: 'platform',
  directory: fileURLToPath(new URL('../migrations/', import.meta.url)),
};
