export * from './consumer-runner.ts';
export { adaptRecordHandler } from './record-handler.ts';
export { INFRASTRUCTURE_MAX_BACKOFF_MS, INFRASTRUCTURE_MIN_BACKOFF_MS } from './retry-in-place.ts';
export * from './types.ts';
