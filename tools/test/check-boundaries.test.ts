import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkFile, checkRepository } from '../src/check-boundaries.ts';

const root = '/repo';

test('check-boundaries should flag a service importing another service by path or by name', () => {
  const file = join(root, 'services/order/src/api/routes.ts');
  const byPath = checkFile(root, file, "import { x } from '../../../inventory/src/domain/stock.ts';");
  const byName = checkFile(root, file, "import { y } from '@shop/inventory-service/src/x';");
  assert.equal(byPath.length, 1);
  assert.equal(byName.length, 1);
  assert.match(byPath[0]?.rule ?? '', /another service/);
});

test('check-boundaries should allow a service to import contracts, platform and its own modules', () => {
  const file = join(root, 'services/order/src/api/routes.ts');
  const source = [
    "import { topics } from '@shop/contracts';",
    "import { createProducer } from '@shop/platform';",
    "import { place } from '../domain/order.ts';",
  ].join('\n');
  assert.deepEqual(checkFile(root, file, source), []);
});

test('check-boundaries should flag infrastructure imports in domain code', () => {
  const file = join(root, 'services/inventory/src/domain/reservation.ts');
  const violations = checkFile(root, file, "import pg from 'pg';\nimport { repo } from '../db/stock-repository.ts';");
  assert.equal(violations.length, 2);
});

test('check-boundaries should find no violation in this repository', async () => {
  assert.deepEqual(await checkRepository(), []);
});
