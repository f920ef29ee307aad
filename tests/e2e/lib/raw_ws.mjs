// A WebSocket client on a bare TCP socket, for tests that send frames no library would, or play
// a client that never reads: the upgrade is done by hand, then the socket is the test's.
//
//   const { sock, response, key } = await rawWebSocket(port, '/socket/websocket?vsn=2.0.0');
//   sock.write(clientFrame(0x1, Buffer.from('["1","1","room:x","phx_join",{}]')));
//   sock.write(clientFrame(0x0, Buffer.alloc(0), { fin: false }));
//
// rawWebSocket rejects when the connection fails or closes before the response head, or when
// the response is not 101; bytes after the head stay readable on the socket. Later socket errors
// are ignored (a test watches 'close').

import { randomBytes } from 'node:crypto';
import net from 'node:net';

export function rawWebSocket(port, path) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    const onClose = () => reject(new Error(`closed during the handshake: ${buf.toString('latin1')}`));
    sock.once('close', onClose);
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      sock.off('close', onClose);
      if (buf.length > end + 4) sock.unshift(buf.subarray(end + 4));
      const response = buf.subarray(0, end).toString('latin1');
      if (!response.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${response}`));
      resolve({ sock, response, key });
    };
    sock.on('data', onData);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n`
      + `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
}

/** A client frame (masked) with the given opcode and payload, of any length. */
export function clientFrame(opcode, payload, { fin = true } = {}) {
  const len = payload.length;
  let header;
  if (len < 126) {
    header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]);
  } else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = (fin ? 0x80 : 0) | opcode; header[1] = 0x80 | 126; header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode; header[1] = 0x80 | 127; header.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
  return Buffer.concat([header, mask, body]);
}
