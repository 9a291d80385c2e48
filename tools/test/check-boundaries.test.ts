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

test('check-boundaries should flag a deep platform import and allow its declared subpath', () => {
  const file = join(root, 'tools/src/topics/topics-cli.ts');
  const deep = checkFile(root, file, "import { createPool } from '@shop/platform/db/pool';");
  assert.equal(deep.length, 1);
  assert.match(deep[0]?.rule ?? '', /through @shop\/platform/);
  assert.deepEqual(checkFile(root, file, "import { provisionTopics } from '@shop/platform/provisioning';"), []);
});

test('check-boundaries should flag test support imported by code that ships', () => {
  const source = "import { uniqueName } from '@shop/test-support';";
  const shipped = checkFile(root, join(root, 'packages/platform/src/service.ts'), source);
  assert.equal(shipped.length, 1);
  assert.match(shipped[0]?.rule ?? '', /never imports @shop\/test-support/);
  assert.deepEqual(checkFile(root, join(root, 'services/order/test/api/orders-routes.test.ts'), source), []);
  assert.deepEqual(checkFile(root, join(root, 'tests/e2e/order-flow.test.ts'), source), []);
});

test('check-boundaries should find no violation in this repository', async () => {
  assert.deepEqual(await checkRepository(), []);
});
