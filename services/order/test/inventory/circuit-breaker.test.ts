import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker } from '../../src/inventory/circuit-breaker.ts';

function breaker() {
  let now = 0;
  const circuit = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000, now: () => now });
  return { circuit, advance: (ms: number) => (now += ms) };
}

test('the circuit opens after the threshold of failures in a row, and a success in between resets the count', () => {
  const { circuit } = breaker();
  circuit.failed();
  circuit.failed();
  circuit.succeeded();
  circuit.failed();
  circuit.failed();
  assert.equal(circuit.state, 'closed');
  circuit.failed();
  assert.equal(circuit.state, 'open');
  assert.equal(circuit.tryAcquire(), false);
  assert.equal(circuit.allowsCalls, false);
});

test('after openMs one trial call is let through; its success closes the circuit, its failure opens it again', () => {
  const { circuit, advance } = breaker();
  for (let i = 0; i < 3; i++) circuit.failed();
  advance(1_000);
  assert.equal(circuit.state, 'half-open');
  assert.equal(circuit.tryAcquire(), true, 'the trial');
  assert.equal(circuit.tryAcquire(), false, 'only one trial at a time');
  circuit.failed();
  assert.equal(circuit.state, 'open');
  advance(1_000);
  assert.equal(circuit.tryAcquire(), true);
  circuit.succeeded();
  assert.equal(circuit.state, 'closed');
  assert.equal(circuit.tryAcquire(), true);
});
