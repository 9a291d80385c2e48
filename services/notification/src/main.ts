import { runServiceMain } from '@shop/platform/service';
import { notificationService } from './service.ts';

await runServiceMain(notificationService);
