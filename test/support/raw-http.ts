import { AddressInfo, connect } from 'node:net';
import { TestApp } from './test-app';

/** Makes the app listen on a free loopback port (supertest then uses that same server); returns the port. */
export async function listenOnFreePort(t: TestApp): Promise<number> {
  const server = t.app.getHttpServer();
  if (!server.listening) await t.app.listen(0, '127.0.0.1');
  return (server.address() as AddressInfo).port;
}

export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/**
 * Writes the bytes exactly as given (headers no HTTP client would send) and reads the first answer
 * until the server closes the connection; rejects if none arrives within the timeout.
 */
export function rawRequest(port: number, bytes: Buffer | string | (Buffer | string)[], timeoutMs = 15000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!match) return reject(error ?? new Error(`no HTTP answer; got ${JSON.stringify(text.slice(0, 200))}`));
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(match[1]), head: split < 0 ? text : text.slice(0, split), body: split < 0 ? '' : text.slice(split + 4) });
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // The server may answer (413, 400) and close before it has read everything we send.
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => {
      for (const part of Array.isArray(bytes) ? bytes : [bytes]) socket.write(part);
    });
  });
}
