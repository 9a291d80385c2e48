import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { checkFile, checkRepository, RULES, type Violation } from '../src/check-boundaries.ts';

const root = '/repo';

function rulesOf(violations: readonly Violation[]): string[] {
  return violations.map((violation) => violation.rule);
}

/** A throwaway repository holding `files` (path → source), checked whole, then removed. */
async function checkPlanted(t: import('node:test').TestContext, files: Record<string, string>): Promise<Violation[]> {
  const dir = await mkdtemp(join(tmpdir(), 'boundaries-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [path, source] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), source);
  }
  return checkRepository(dir);
}

test('check-boundaries should flag a service importing another service by path or by name', () => {
  const file = join(root, 'services/order/src/api/routes.ts');
  const byPath = checkFile(root, file, "import { x } from '../../../inventory/src/domain/stock.ts';");
  const byName = checkFile(root, file, "import { y } from '@shop/inventory-service/src/x';");
  assert.deepEqual(rulesOf(byPath), [RULES.crossService]);
  assert.deepEqual(rulesOf(byName), [RULES.crossService]);
});

test('check-boundaries should allow a service to import contracts, platform and its own layers downwards', () => {
  const file = join(root, 'services/order/src/api/routes.ts');
  const source = [
    "import { topics } from '@shop/contracts';",
    "import { createProducer } from '@shop/platform';",
    "import { placeOrders } from '../app/place-orders.ts';",
    "import { place } from '../domain/order.ts';",
  ].join('\n');
  assert.deepEqual(checkFile(root, file, source, { platformExports: ['.'] }), []);
});

test('check-boundaries should flag infrastructure and other layers imported by domain code', () => {
  const file = join(root, 'services/inventory/src/domain/reservation.ts');
  const source = [
    "import pg from 'pg';",
    "import { repo } from '../db/stock-repository.ts';",
    "import { reserve } from '../app/reserve.ts';",
    "import { Stock } from './stock.ts';",
  ].join('\n');
  assert.deepEqual(rulesOf(checkFile(root, file, source)), [RULES.domain, RULES.domain, RULES.domain]);
});

test('check-boundaries should flag api/ and events/ importing each other', () => {
  const fromApi = checkFile(root, join(root, 'services/order/src/api/saga-routes.ts'), "import '../events/x.ts';");
  const fromEvents = checkFile(root, join(root, 'services/order/src/events/handler.ts'), "import '../api/y.ts';");
  assert.deepEqual(rulesOf([...fromApi, ...fromEvents]), [RULES.inbound, RULES.inbound]);
});

test('check-boundaries should flag db/ importing an inbound adapter or the application layer', () => {
  const file = join(root, 'services/payment/src/db/payment-repository.ts');
  const source = ["import '../app/charge.ts';", "import '../events/x.ts';", "import '../domain/payment.ts';"].join(
    '\n',
  );
  assert.deepEqual(rulesOf(checkFile(root, file, source)), [RULES.outbound, RULES.outbound]);
});

test('check-boundaries should flag production code importing test code, and allow it in tests', () => {
  const sources = [
    "import { eventually } from '@shop/test-support';",
    "import assert from 'node:assert/strict';",
    "import { x } from '../test/support.ts';",
  ].join('\n');
  for (const path of ['services/order/src/service.ts', 'packages/platform/src/service.ts', 'tools/src/cli.ts']) {
    assert.deepEqual(rulesOf(checkFile(root, join(root, path), sources)), Array(3).fill(RULES.testCode), path);
  }
  assert.deepEqual(checkFile(root, join(root, 'services/order/test/api/routes.test.ts'), sources), []);
  assert.deepEqual(checkFile(root, join(root, 'packages/test-support/src/kafka.ts'), sources), []);
});

test('check-boundaries should let tools and scripts reach a service only through service.ts, and never tests/', () => {
  const file = join(root, 'scripts/scenarios/scenario-support.ts');
  const source = [
    "import { orderService } from '../../services/order/src/service.ts';",
    "import { x } from '../../services/order/src/db/order-repository.ts';",
    "import { stack } from '../../tests/support/stack.ts';",
  ].join('\n');
  assert.deepEqual(rulesOf(checkFile(root, file, source)), [RULES.toolsReach, RULES.toolsReach]);
  const tool = checkFile(
    root,
    join(root, 'tools/src/load/x.ts'),
    "import '../../../services/payment/src/domain/p.ts';",
  );
  assert.deepEqual(rulesOf(tool), [RULES.toolsReach]);
});

test('check-boundaries should flag a platform path its package.json does not export', () => {
  const file = join(root, 'services/order/src/service.ts');
  const source = "import { a } from '@shop/platform';\nimport { b } from '@shop/platform/db/pool';\n";
  assert.deepEqual(rulesOf(checkFile(root, file, source, { platformExports: ['.'] })), [RULES.platformSurface]);
  assert.deepEqual(checkFile(root, file, source, { platformExports: ['.', './db/pool'] }), []);
});

test('check-boundaries should flag contracts importing anything but TypeBox and Node built-ins', () => {
  const file = join(root, 'packages/contracts/src/topics.ts');
  const source = "import { Type } from 'typebox';\nimport { x } from '@shop/platform';\n";
  assert.deepEqual(rulesOf(checkFile(root, file, source)), [RULES.contracts]);
});

test('check-boundaries should find a planted import loop in contracts and a deep platform import', async (t) => {
  const violations = await checkPlanted(t, {
    'packages/platform/package.json': JSON.stringify({ exports: { '.': './src/index.ts' } }),
    'packages/platform/src/index.ts': "export * from './a.ts';",
    'packages/platform/src/a.ts': 'export const a = 1;',
    'packages/contracts/src/topics.ts': "import { c } from './consumers.ts';\nexport const t = c;",
    'packages/contracts/src/consumers.ts': "import { t } from './topics.ts';\nexport const c = 1;",
    'services/order/src/service.ts': "import { a } from '@shop/platform/a';\nimport { b } from '@shop/platform';",
  });
  assert.deepEqual(rulesOf(violations).sort(), [RULES.cycle, RULES.platformSurface].sort());
  const cycle = violations.find((violation) => violation.rule === RULES.cycle);
  assert.match(cycle?.specifier ?? '', /consumers\.ts -> packages\/contracts\/src\/topics\.ts -> .*consumers\.ts/);
});

test('check-boundaries should find no violation in a planted repository that keeps every rule', async (t) => {
  const violations = await checkPlanted(t, {
    'packages/platform/package.json': JSON.stringify({ exports: { '.': './src/index.ts' } }),
    'packages/platform/src/index.ts': "export * from './a.ts';",
    'packages/platform/src/a.ts': "import { b } from './b.ts';\nexport const a = b;",
    'packages/platform/src/b.ts': 'export const b = 1;',
    'services/order/src/api/routes.ts': "import { place } from '../app/place.ts';",
    'services/order/src/app/place.ts': "import { a } from '@shop/platform';\nimport { d } from '../domain/d.ts';",
    'services/order/src/domain/d.ts': 'export const d = 1;',
    'scripts/stack.ts': "import { orderService } from '../services/order/src/service.ts';",
  });
  assert.deepEqual(violations, []);
});

test('check-boundaries should find no violation in this repository', async () => {
  assert.deepEqual(await checkRepository(), []);
});
