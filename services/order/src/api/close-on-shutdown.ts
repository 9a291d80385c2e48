/**
 * Releases the long-polling waiters when the app starts closing, so `app.close()` does not wait for their
 * timeouts. (Ending busy keep-alive sockets on close is the platform's job: see packages/platform/src/http/app.ts.)
 */
import type { FastifyInstance } from 'fastify';

export function closeConnectionsOnShutdown(app: FastifyInstance, onClosing: () => void): void {
  app.addHook('preClose', async () => {
    onClosing();
  });
}
