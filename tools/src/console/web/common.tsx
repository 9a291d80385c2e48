import type { ComponentChildren } from 'preact';
import type { ConsoleError, Part } from '../contracts.ts';
import type { Stream } from './api.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

export function Failure({ error, what }: { error: ConsoleError; what: string }) {
  return (
    <div class="state failed" role="alert">
      <strong>{what} unavailable</strong> <code>{error.code}</code> {error.message}
    </div>
  );
}

/** The connection banner: shown while the console's live stream is down, so stale data is never silent. */
export function StreamBanner<T>({ stream }: { stream: Stream<T> }) {
  if (stream.state !== 'reconnecting') return null;
  return (
    <div class="state failed" role="alert">
      Lost the live connection to the console server; reconnecting…
    </div>
  );
}

/** Renders a snapshot part: its value, or the failure of the service or broker behind it. */
export function PartView<T>({
  part,
  what,
  children,
}: {
  part: Part<T>;
  what: string;
  children: (value: T) => ComponentChildren;
}) {
  if (!part.ok) return <Failure error={part.error} what={what} />;
  return <>{children(part.value)}</>;
}

export function Badge({ value }: { value: string }) {
  return <span class={`badge badge-${value.toLowerCase().replace(/[^a-z]+/g, '-')}`}>{value}</span>;
}
