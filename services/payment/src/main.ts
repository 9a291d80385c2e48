import { runServiceMain } from '@shop/platform/service';
import { paymentService } from './service.ts';

await runServiceMain(paymentService);
