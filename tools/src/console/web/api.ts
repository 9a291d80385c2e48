/** The browser's side of the console API: live snapshots over Server-Sent Events, and the actions. */
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleError, ServiceResult } from '../contracts.ts';

export type Stream<T> =
  | { state: 'loading' }
  | { state: 'live'; data: T }
  /** The connection dropped (the console server restarting); the last data is kept and marked stale. */
  | { state: 'reconnecting'; data: T | undefined };

/** Subscribes to a console event stream while the component is shown; the browser reconnects by itself. */
export function useStream<T>(path: string | undefined): Stream<T> {
  const [stream, setStream] = useState<Stream<T>>({ state: 'loading' });
  useEffect(() => {
    if (path === undefined) return undefined;
    setStream({ state: 'loading' });
    const source = new EventSource(path);
    let last: T | undefined;
    source.onmessage = (event: MessageEvent<string>) => {
      last = JSON.parse(event.data) as T;
      setStream({ state: 'live', data: last });
    };
    source.onerror = () => setStream({ state: 'reconnecting', data: last });
    return () => source.close();
  }, [path]);
  return stream;
}

const UNREACHABLE: ConsoleError = { code: 'CON_UNREACHABLE', message: 'The console server did not answer' };

/**
 * Sends an action (or a search) to the console server. The server answers 200 with the service's result, so
 * a refusal is data here; only a console server that does not answer at all is a failed request.
 */
export async function act<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<ServiceResult<T>> {
  try {
    const response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = (await response.json()) as ServiceResult<T> | { error?: ConsoleError };
    if ('ok' in parsed) return parsed;
    return { ok: false, status: response.status, error: parsed.error ?? UNREACHABLE };
  } catch {
    return { ok: false, status: 0, error: UNREACHABLE };
  }
}

export function money(value: { amountMinor: number; currency: string } | undefined): string {
  if (value === undefined) return '—';
  return `${(value.amountMinor / 100).toFixed(2)} ${value.currency}`;
}

export function time(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  return new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
}
