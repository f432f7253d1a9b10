'use strict';
// ws-client.js: a Node `ws` client that surge's server is tested against
// (interop/node_test.go).
//
//   node ws-client.js URL SCENARIO [ARGS...]
//
// It runs one scripted conversation and prints what it observed as JSON lines
// on stdout, one per step, for the Go test to check; it never decides pass or
// fail itself except for transport errors, which it reports as
// {"case":"error",...} and exit status 1. Scenarios:
//
//   echo BIGSIZE        text, binary, fragmented text and binary, a text
//                       message split inside a UTF-8 sequence, and a binary
//                       message of BIGSIZE bytes (pattern byte i = (i*31+7)&255)
//   deflate-echo BIGSIZE [OPTION...]
//                       echo's steps, then a compressible JSON-like text of
//                       6000 bytes, whole and in three fragments; each
//                       OPTION (serverNoContextTakeover or
//                       clientNoContextTakeover) is set to true in ws's
//                       perMessageDeflate offer (RFC 7692 §7.1.1)
//   ping WAITMS         ping with "node-ping" and report the pong, then count
//                       the server's pings for WAITMS and close 1000
//   close CODE REASON   close with CODE and REASON and report the close event
//                       (CODE "none" sends a close frame without a status)
//   wait                report the close event of a close the server starts
//   badutf8             send a text frame with invalid UTF-8, report the close
//   badutf8-frag        the same, the bad byte in a continuation fragment
//
// Every scenario first reports {"case":"open","data":...,"header":...}: data
// is ws.extensions (the names of the negotiated extensions, "" for none) and
// header the server's Sec-WebSocket-Extensions answer with its parameters.
// ws offers permessage-deflate in every scenario (its default); it compresses
// a message of fewer than 1024 bytes only when it keeps its context (no
// client_no_context_takeover was agreed).
//
// A bound (SURGE_INTEROP_TIMEOUT_MS, default 60 s) ends a stuck run with exit
// status 3.

const crypto = require('crypto');
const WebSocket = require('ws');

const [url, scenario, ...args] = process.argv.slice(2);
const lifetime = Number(process.env.SURGE_INTEROP_TIMEOUT_MS || 60000);

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function pattern(n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

// jsonText returns n bytes of a JSON-like text that compresses well; Go's
// jsonText (interop/deflate_test.go) makes the same bytes.
function jsonText(n) {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `{"id":${i},"name":"surge","tags":["websocket","deflate"]},`;
  return s.slice(0, n);
}

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

setTimeout(() => {
  report({ case: 'error', error: 'timeout in scenario ' + scenario });
  process.exit(3);
}, lifetime).unref();

// jsonSize is the size of deflate-echo's compressible text: above ws's 1024
// byte threshold, and in three fragments each still above it.
const jsonSize = 6000;

// deflateOptions are the perMessageDeflate options of ws's offer, true (ws's
// default) unless deflate-echo names some.
function deflateOptions() {
  if (scenario !== 'deflate-echo' || args.length < 2) return true;
  const known = ['serverNoContextTakeover', 'clientNoContextTakeover'];
  const opts = {};
  for (const o of args.slice(1)) {
    if (!known.includes(o)) {
      report({ case: 'error', error: 'unknown deflate option ' + o });
      process.exit(2);
    }
    opts[o] = true;
  }
  return opts;
}

const ws = new WebSocket(url, { maxPayload: 64 << 20, perMessageDeflate: deflateOptions() });

let extHeader = '';
ws.on('upgrade', (res) => {
  extHeader = res.headers['sec-websocket-extensions'] || '';
});

// Received messages wait in a queue until the script asks for them.
const queue = [];
const waiters = [];
ws.on('message', (data, isBinary) => {
  const m = { data, isBinary };
  if (waiters.length) waiters.shift()(m);
  else queue.push(m);
});
function next() {
  if (queue.length) return Promise.resolve(queue.shift());
  return new Promise((resolve) => waiters.push(resolve));
}

const closed = new Promise((resolve) => {
  ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
});
ws.on('error', (err) => report({ case: 'ws-error', errCode: err.code || '', message: String(err.message) }));

function describe(name, m) {
  const out = { case: name, binary: m.isBinary, len: m.data.length };
  if (m.data.length <= 1024) {
    out.hex = m.data.toString('hex');
    if (!m.isBinary) out.text = m.data.toString('utf8');
  } else {
    out.sha256 = sha256(m.data);
  }
  return out;
}

async function echo(compressible) {
  const big = Number(args[0] || 16 << 20);

  ws.send('hello surge');
  report(describe('text', await next()));

  ws.send(Buffer.from([0, 1, 2, 0x80, 0xfe, 0xff]));
  report(describe('binary', await next()));

  ws.send('frag-', { fin: false });
  ws.send('men', { fin: false });
  ws.send('ted', { fin: true });
  report(describe('fragmented-text', await next()));

  ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
  ws.send(Buffer.from([3]), { binary: true, fin: false });
  ws.send(Buffer.from([4, 5, 6]), { binary: true, fin: true });
  report(describe('fragmented-binary', await next()));

  // "é" is c3 a9: the first fragment ends inside the sequence.
  ws.send(Buffer.from([0x63, 0x61, 0x66, 0xc3]), { binary: false, fin: false });
  ws.send(Buffer.from([0xa9]), { binary: false, fin: true });
  report(describe('split-utf8', await next()));

  ws.send(pattern(big));
  report(describe('big', await next()));

  if (compressible) {
    const text = jsonText(jsonSize);
    ws.send(text);
    report(describe('json-text', await next()));

    const a = Math.floor(text.length / 3);
    const b = Math.floor((2 * text.length) / 3);
    ws.send(text.slice(0, a), { fin: false });
    ws.send(text.slice(a, b), { fin: false });
    ws.send(text.slice(b), { fin: true });
    report(describe('json-fragmented', await next()));
  }

  ws.close(1000, 'done');
  report(Object.assign({ case: 'close' }, await closed));
}

async function ping() {
  const wait = Number(args[0] || 1000);
  let pings = 0;
  let lastPing = '';
  ws.on('ping', (data) => {
    pings++;
    lastPing = data.toString();
  });
  const pong = new Promise((resolve) => ws.once('pong', (data) => resolve(data.toString())));
  ws.ping('node-ping');
  report({ case: 'pong', data: await pong });
  await new Promise((resolve) => setTimeout(resolve, wait));
  report({ case: 'server-pings', count: pings, last: lastPing, open: ws.readyState === WebSocket.OPEN });
  ws.close(1000, 'done');
  report(Object.assign({ case: 'close' }, await closed));
}

async function close() {
  if (args[0] === 'none') ws.close(); // an empty close frame: no status
  else ws.close(Number(args[0]), args[1] || '');
  report(Object.assign({ case: 'close' }, await closed));
}

async function wait() {
  report(Object.assign({ case: 'close' }, await closed));
}

async function badutf8(fragmented) {
  if (fragmented) {
    ws.send(Buffer.from('ok'), { binary: false, fin: false });
    ws.send(Buffer.from([0xff]), { binary: false, fin: true });
  } else {
    ws.send(Buffer.from([0x68, 0x69, 0xff]), { binary: false });
  }
  report(Object.assign({ case: 'close' }, await closed));
}

const scenarios = {
  echo: () => echo(false),
  'deflate-echo': () => echo(true),
  ping,
  close,
  wait,
  badutf8: () => badutf8(false),
  'badutf8-frag': () => badutf8(true),
};

let opened = false;
ws.on('close', (code) => {
  if (!opened) {
    report({ case: 'error', error: 'connection closed before open, code ' + code });
    process.exit(1);
  }
});

// A scenario still awaiting a message when the connection has closed leaves
// Node nothing to wait for: say so with the close, instead of exiting 0 with
// steps missing.
let closeSeen = null;
ws.on('close', (code, reason) => {
  closeSeen = { code, reason: reason.toString() };
});
process.on('beforeExit', () => {
  const how = closeSeen ? `closed with ${closeSeen.code} "${closeSeen.reason}"` : 'nothing left to wait for';
  report({ case: 'error', error: `scenario ${scenario} stalled: the connection ${how}` });
  process.exit(1);
});

ws.on('open', () => {
  opened = true;
  report({ case: 'open', data: ws.extensions, header: extHeader });
  const run = scenarios[scenario];
  if (!run) {
    report({ case: 'error', error: 'unknown scenario ' + scenario });
    process.exit(2);
  }
  run().then(
    () => process.exit(0),
    (err) => {
      report({ case: 'error', error: String(err && err.stack) });
      process.exit(1);
    },
  );
});
