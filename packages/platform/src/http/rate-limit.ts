/**
 * Per-caller request limits on chosen routes (@fastify/rate-limit, registered by createHttpApp with
 * `global: false`). The key is the verified token's subject, so one customer cannot use up another's
 * allowance, and the limit is enforced after the access hook (an unauthenticated request never counts).
 * Counters are in the process's memory: with N instances behind a balancer a caller gets up to N times the
 * limit, which is acceptable for a limit meant to stop a runaway client, not to meter.
 */
import type { RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';

export interface RateLimitPerCallerOptions {
  /** Requests allowed per caller and window. */
  max: number;
  /** The window, in ms (fixed window per caller, starting at its first request). */
  windowMs: number;
  /** The error answered once the limit is passed (an AppError with status 429); Retry-After is set. */
  error: (retryAfterSeconds: number) => Error;
}

/** The route's `config.rateLimit`. */
export function rateLimitPerCaller(options: RateLimitPerCallerOptions): RateLimitOptions {
  return {
    max: options.max,
    timeWindow: options.windowMs,
    keyGenerator: (request: FastifyRequest) => request.principal?.subject ?? request.ip,
    errorResponseBuilder: (_request, context) => options.error(Math.ceil(context.ttl / 1_000)),
  };
}
