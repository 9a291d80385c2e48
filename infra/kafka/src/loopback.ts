/** Brokers bind to loopback only: a dev broker without auth must not be reachable from the network. */
export const LISTEN_HOST = '127.0.0.1';

/** What clients are told to connect to; matches the "localhost:9092" people type. */
export const ADVERTISED_HOST = 'localhost';

export function advertisedAddress(port: number): string {
  return `${ADVERTISED_HOST}:${port}`;
}
