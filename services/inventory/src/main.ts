import { runServiceMain } from '@shop/platform';
import { inventoryService } from './service.ts';

await runServiceMain(inventoryService);
