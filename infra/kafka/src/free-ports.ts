import { createServer } from 'node:net';
import { LISTEN_HOST } from './loopback.ts';

/**
 * Below Linux's ephemeral range (32768+), so an outgoing connection cannot grab a port between the
 * check and the broker binding it, and above the usual dev-server ports.
 */
const RANDOM_PORT_MIN = 20_000;
const RANDOM_PORT_MAX = 32_000;
const MAX_PORT_ATTEMPTS = 50;

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: LISTEN_HOST, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Fails before a JVM is spawned, instead of after a 60 s wait for a broker that could not bind. */
export async function assertPortsFree(ports: readonly number[], what: string): Promise<void> {
  const busy: number[] = [];
  for (const port of ports) {
    if (!(await isPortFree(port))) busy.push(port);
  }
  if (busy.length > 0) {
    throw new Error(
      `Cannot start ${what}: port(s) ${busy.join(', ')} already in use on ${LISTEN_HOST}. ` +
        'Stop whatever holds them (e.g. "npm run kafka:stop") or choose other ports.',
    );
  }
}

/** A random base port with `count` consecutive free ports, so parallel test runs do not collide. */
export async function findFreePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt += 1) {
    const base = RANDOM_PORT_MIN + Math.floor(Math.random() * (RANDOM_PORT_MAX - RANDOM_PORT_MIN - count));
    const ports = Array.from({ length: count }, (_, index) => base + index);
    const results = await Promise.all(ports.map(isPortFree));
    if (results.every(Boolean)) return base;
  }
  throw new Error(`No block of ${count} free ports found in ${RANDOM_PORT_MIN}-${RANDOM_PORT_MAX}`);
}
