import { runServiceMain } from '@shop/platform/service';
import { inventoryService } from './service.ts';

await runServiceMain(inventoryService);
