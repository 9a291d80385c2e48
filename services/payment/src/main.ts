import { runServiceMain } from '@shop/platform';
import { paymentService } from './service.ts';

await runServiceMain(paymentService);
