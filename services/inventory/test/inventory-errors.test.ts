import { test } from 'node:test';
import { assertErrorCodesDocumented } from '@shop/test-support';
import { InventoryErrors } from '../src/inventory-errors.ts';

test('every Inventory error code should be documented in the README, carry the service prefix and a 4xx or 5xx status', async () => {
  await assertErrorCodesDocumented({
    readme: new URL('../README.md', import.meta.url),
    prefix: 'INV',
    errors: InventoryErrors,
  });
});
