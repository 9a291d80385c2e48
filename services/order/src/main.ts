import { runServiceMain } from '@shop/platform/service';
import { orderService } from './service.ts';

await runServiceMain(orderService);
