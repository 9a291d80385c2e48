/**
 * Releases the long-polling waiters when the app starts closing, so `app.close()` does not wait for their
 * timeouts: each answers at once with the order as it is. (Ending busy keep-alive sockets on close is the
 * platform's job: see packages/platform/src/http/app.ts.)
 */
import type { FastifyInstance } from 'fastify';

export function releaseWaitersOnClose(app: FastifyInstance, releaseWaiters: () => void): void {
  app.addHook('preClose', async () => {
    releaseWaiters();
  });
}
