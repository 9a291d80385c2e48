/**
 * A minimal SMTP server on a real socket, enough for nodemailer to speak real SMTP to it (EHLO, MAIL,
 * RCPT, DATA, RSET, QUIT). Test behaviours: reject a recipient with a given reply, or never answer the
 * end of DATA (a provider that hangs after receiving the message).
 */
import { createServer, type Socket } from 'node:net';

export interface ReceivedMessage {
  from: string;
  to: string[];
  /** The raw message (headers and body) as received, dot-unstuffed. */
  data: string;
}

export interface FakeSmtpBehaviour {
  /** SMTP reply (e.g. `550 5.1.1 no such user`) for a recipient, or undefined to accept it. */
  rcptReply?: (address: string) => string | undefined;
  /** Never answer the end of DATA. */
  stallAfterData?: boolean;
}

export interface FakeSmtpServer {
  url: string;
  received: ReceivedMessage[];
  close(): Promise<void>;
}

const CRLF = '\r\n';
const END_OF_DATA = '\r\n.\r\n';

export async function startFakeSmtpServer(behaviour: FakeSmtpBehaviour = {}): Promise<FakeSmtpServer> {
  const received: ReceivedMessage[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    let inData = false;
    let envelope: { from: string; to: string[] } = { from: '', to: [] };
    const reply = (line: string) => socket.write(`${line}${CRLF}`);
    reply('220 fake-smtp ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      while (true) {
        if (inData) {
          const end = buffer.indexOf(END_OF_DATA);
          if (end < 0) return;
          const data = buffer.slice(0, end).replaceAll('\r\n..', '\r\n.');
          buffer = buffer.slice(end + END_OF_DATA.length);
          inData = false;
          received.push({ ...envelope, data });
          envelope = { from: '', to: [] };
          if (!behaviour.stallAfterData) reply(`250 2.0.0 Ok: queued as Q${received.length}`);
          continue;
        }
        const newline = buffer.indexOf(CRLF);
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + CRLF.length);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') {
          reply('250-fake-smtp');
          reply('250 8BITMIME');
        } else if (verb === 'MAIL') {
          envelope.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          const rejection = behaviour.rcptReply?.(address);
          if (rejection === undefined) {
            envelope.to.push(address);
            reply('250 2.1.5 Ok');
          } else {
            reply(rejection);
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          envelope = { from: '', to: [] };
          reply('250 2.0.0 Ok');
        } else if (verb === 'NOOP') {
          reply('250 2.0.0 Ok');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
        } else {
          reply('502 5.5.2 Command not recognized');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake SMTP server has no port');
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
