import { runServiceMain } from '@shop/platform';
import { notificationService } from './service.ts';

await runServiceMain(notificationService);
