// ws_peer.js: the Node "ws" side of deflate's interop tests.
//
//   node ws_peer.js server '<perMessageDeflate JSON>'
//       runs an echo server on 127.0.0.1, prints "PORT <n>", prints
//       "EXT <Sec-WebSocket-Extensions answer>" per connection, and exits
//       when stdin closes.
//   node ws_peer.js client <url> '<perMessageDeflate JSON>' <sizes,...>
//       connects, sends one JSON-like message of each size twice, checks
//       each echo, prints "EXT <negotiated>" and "OK <count>", exits 0
//       (1 on any failure).
//
// ws compresses a message only when perMessageDeflate is negotiated and the
// message reaches its threshold; the tests pass threshold 0.
'use strict';
const WebSocket = require('ws');

const mode = process.argv[2];
const fail = (msg) => { console.log('FAIL ' + msg); process.exit(1); };
setTimeout(() => fail('timeout'), 60000).unref();

function jsonish(n, seed) {
  const words = ['alpha', 'beta', 'surge', 'socket', 'frame', 'deflate', 'open', 'closed'];
  let s = '';
  let x = seed + 1;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += `{"id":${x % 100000},"name":"${words[x % words.length]}","ok":${x % 2 === 0}},`;
  }
  return s.slice(0, n);
}

if (mode === 'server') {
  const pmd = JSON.parse(process.argv[3]);
  const wss = new WebSocket.WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: pmd, maxPayload: 8 << 20 });
  wss.on('listening', () => console.log('PORT ' + wss.address().port));
  wss.on('wsClientError', (err, socket, req) => {
    console.error('ws_peer: rejected handshake: ' + err.message + ' ' + JSON.stringify(req.headers));
    socket.destroy();
  });
  wss.on('headers', (headers) => {
    const ext = headers.find((h) => h.toLowerCase().startsWith('sec-websocket-extensions:'));
    console.log('EXT ' + (ext ? ext.slice(ext.indexOf(':') + 1).trim() : ''));
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', (e) => console.log('ERR ' + e.message));
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else if (mode === 'client') {
  const url = process.argv[3];
  const pmd = JSON.parse(process.argv[4]);
  const sizes = process.argv[5].split(',').map(Number);
  const ws = new WebSocket(url, { perMessageDeflate: pmd, maxPayload: 8 << 20 });
  const queue = [];
  sizes.forEach((n, i) => { queue.push(jsonish(n, i)); queue.push(jsonish(n, i)); });
  let done = 0;
  ws.on('upgrade', (res) => console.log('EXT ' + (res.headers['sec-websocket-extensions'] || '')));
  ws.on('open', () => ws.send(queue[0]));
  ws.on('message', (data, isBinary) => {
    if (isBinary) fail('binary echo');
    if (data.toString() !== queue[done]) fail(`echo ${done} differs: ${data.length} bytes, want ${queue[done].length}`);
    done++;
    if (done === queue.length) {
      console.log('OK ' + done);
      ws.close(1000);
      return;
    }
    ws.send(queue[done]);
  });
  ws.on('close', (code) => { if (done !== queue.length) fail('closed with ' + code); process.exit(0); });
  ws.on('error', (e) => fail(e.message));
} else {
  fail('usage: ws_peer.js server|client ...');
}
