/**
 * A real SMTP server for the tests: nodemailer's own `smtp-server`, on a loopback port, so the channel talks
 * to the same protocol implementation a relay would run (EHLO, pipelining, dot-stuffing, reply codes),
 * not to a hand-written imitation. What it accepts is kept in `received`; a behaviour makes it refuse a
 * recipient, drop the connection in the middle of a transaction, or never answer the end of DATA.
 */
import type { Socket } from 'node:net';
import { createServer } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  /** The raw message (headers and body) as received, dot-unstuffed. */
  data: string;
}

/** An SMTP reply the server sends instead of accepting, e.g. `{ code: 550, message: '5.1.1 no such user' }`. */
export interface SmtpReply {
  code: number;
  message: string;
}

export interface SmtpTestBehaviour {
  /** The reply refusing a recipient, or undefined to accept it. */
  refuseRecipient?: (address: string) => SmtpReply | undefined;
  /** Close the TCP connection once part of the message has arrived, before any reply to it. */
  dropDuringData?: boolean;
  /** Take the whole message but never answer the end of DATA (a provider that hangs after receiving). */
  stallAfterData?: boolean;
}

export interface SmtpTestServer {
  url: string;
  /** Messages the server accepted (a 250 reply to the end of DATA), or received in full when stalling. */
  received: ReceivedMessage[];
  /** Messages whose connection the server dropped during DATA. */
  dropped: number;
  close(): Promise<void>;
}

/** How long close() lets an open session end by itself before cutting it (a stalled one never does). */
const CLOSE_TIMEOUT_MS = 100;

/** An error smtp-server turns into the SMTP reply `code message`. */
function replyError({ code, message }: SmtpReply): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

async function readAll(stream: SMTPServerDataStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSmtpTestServer(behaviour: SmtpTestBehaviour = {}): Promise<SmtpTestServer> {
  // The client side of each session, by its port: smtp-server hands handlers the session, not the socket.
  const sockets = new Map<number, Socket>();
  const state: SmtpTestServer = {
    url: '',
    received: [],
    dropped: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (the built-in certificate is self-signed) and no AUTH.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: CLOSE_TIMEOUT_MS,
    onRcptTo(address, _session, callback) {
      const refusal = behaviour.refuseRecipient?.(address.address);
      callback(refusal === undefined ? null : replyError(refusal));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      if (behaviour.dropDuringData) {
        stream.once('data', () => {
          state.dropped++;
          sockets.get(session.remotePort)?.destroy();
        });
        stream.resume();
        return;
      }
      readAll(stream).then((data) => {
        state.received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          data,
        });
        if (!behaviour.stallAfterData) callback();
      }, callback);
    },
  });
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
  // A dropped or cut session surfaces as an error on the server; it is what these tests provoke.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP test server has no port');
  state.url = `smtp://127.0.0.1:${address.port}`;
  return state;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
