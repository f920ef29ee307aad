// A plain WebSocket broadcast server with npm `ws`, written the way Node users commonly write
// one (the `ws` README's broadcast example, with rooms by URL path): every message a client
// sends goes to every open client of its room, the sender included. No backpressure handling,
// as in the README example. Usage: node ws_broadcast_server.mjs PORT [HOST]
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 8080);
const host = process.argv[3] ?? '127.0.0.1';
const wss = new WebSocketServer({ host, port });
const rooms = new Map(); // path -> Set of clients

wss.on('connection', (ws, req) => {
  const room = req.url;
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);

  ws.on('message', (data, isBinary) => {
    for (const client of members) {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0) rooms.delete(room);
  });
  ws.on('error', (err) => console.error('ws error:', err.message));
});

wss.on('listening', () => console.log(`ws broadcast server listening on ${host}:${port}`));
