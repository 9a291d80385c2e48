import { runServiceMain } from '@shop/platform';
import { orderService } from './service.ts';

await runServiceMain(orderService);
