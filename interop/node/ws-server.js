'use strict';
// ws-server.js: a Node `ws` server that surge's client is tested against
// (interop/node_test.go). It listens on 127.0.0.1, port 0, and prints the
// port as the first line of stdout; every later line is one JSON event, so the
// Go test can see what this side observed. The behaviour is chosen by path:
//
//   /echo             echo every message, text as text, binary as binary
//   /fragmented       echo every message as three fragments (fin: false ...)
//   /close/CODE       close at once with CODE and the query's reason
//   /badutf8          send a text frame whose payload is 0xff (invalid UTF-8)
//   /ping             ping with the payload "ws-ping" and report the pong
//
// Every connection reports {"event":"open","id":...,"path":...,"data":...,
// "header":...} when it opens (data is ws.extensions, the names of the
// negotiated extensions, "" for none; header is the Sec-WebSocket-Extensions
// answer with its parameters) and {"event":"close","id":...,"code":...,
// "reason":...} when it ends; /ping also reports each ping it receives. The
// query's id parameter names the Go case in these lines.
//
//   node ws-server.js [deflate [OPTION...]]
//
// Without arguments the server declines permessage-deflate (ws's server
// default). With deflate it accepts it (RFC 7692) and compresses every
// message it sends (threshold 0); each OPTION (serverNoContextTakeover or
// clientNoContextTakeover) is set to true in its perMessageDeflate options,
// so that its answer carries that parameter whatever the offer said.
//
// The process exits by itself after a bound (SURGE_INTEROP_TIMEOUT_MS,
// default 120 s) in case the test that started it dies without killing it.

const http = require('http');
const { WebSocketServer } = require('ws');

const maxPayload = 64 << 20;
const lifetime = Number(process.env.SURGE_INTEROP_TIMEOUT_MS || 120000);

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket only\n');
});
// perMessageDeflate is false (ws's server default) unless the first argument
// is deflate.
function deflateOptions() {
  const [mode, ...opts] = process.argv.slice(2);
  if (mode === undefined) return false;
  if (mode !== 'deflate') {
    process.stderr.write('usage: node ws-server.js [deflate [OPTION...]]\n');
    process.exit(2);
  }
  const out = { threshold: 0 };
  for (const o of opts) {
    if (o !== 'serverNoContextTakeover' && o !== 'clientNoContextTakeover') {
      process.stderr.write('ws-server.js: unknown deflate option ' + o + '\n');
      process.exit(2);
    }
    out[o] = true;
  }
  return out;
}

const wss = new WebSocketServer({ server, maxPayload, perMessageDeflate: deflateOptions() });

// The answer's Sec-WebSocket-Extensions, kept on the request until the
// connection event reports it.
const extHeader = Symbol('extHeader');
wss.on('headers', (headers, req) => {
  const h = headers.find((l) => l.toLowerCase().startsWith('sec-websocket-extensions:'));
  req[extHeader] = h ? h.slice(h.indexOf(':') + 1).trim() : '';
});

wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const id = url.searchParams.get('id') || '';
  const path = url.pathname;
  report({ event: 'open', id, path, data: ws.extensions, header: req[extHeader] || '' });

  ws.on('error', (err) => {
    report({ event: 'error', id, path, errCode: err.code || '', message: String(err.message) });
  });
  ws.on('close', (code, reason) => {
    report({ event: 'close', id, path, code, reason: reason.toString() });
  });

  if (path === '/echo') {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    return;
  }
  if (path === '/fragmented') {
    ws.on('message', (data, isBinary) => {
      // Split on byte boundaries (a text message may be split inside a
      // UTF-8 sequence; the receiver must validate across fragments).
      const a = Math.floor(data.length / 3);
      const b = Math.floor((2 * data.length) / 3);
      ws.send(data.subarray(0, a), { binary: isBinary, fin: false });
      ws.send(data.subarray(a, b), { binary: isBinary, fin: false });
      ws.send(data.subarray(b), { binary: isBinary, fin: true });
    });
    return;
  }
  const m = /^\/close\/(\d+)$/.exec(path);
  if (m) {
    ws.close(Number(m[1]), url.searchParams.get('reason') || '');
    return;
  }
  if (path === '/badutf8') {
    // ws does not validate what it sends: a Buffer with binary: false goes
    // out as a text frame carrying exactly these bytes.
    ws.send(Buffer.from([0x68, 0x69, 0xff]), { binary: false });
    return;
  }
  if (path === '/ping') {
    ws.on('ping', (data) => report({ event: 'ping', id, data: data.toString() }));
    ws.on('pong', (data) => report({ event: 'pong', id, data: data.toString() }));
    ws.ping('ws-ping');
    return;
  }
  ws.close(1008, 'unknown path ' + path);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\n');
});

setTimeout(() => {
  report({ event: 'timeout' });
  process.exit(3);
}, lifetime).unref();

process.on('SIGTERM', () => process.exit(0));
