#!/usr/bin/env python3
"""ws_server.py: a Python `websockets` server that surge's client is tested
against (interop/python_test.go). It listens on 127.0.0.1, port 0, and prints
the port as the first line of stdout; every later line is one JSON event with
the field names of node/ws-server.js, so the Go test can see what this side
observed. The behaviour is chosen by path:

  /echo             echo every message, text as text, binary as binary
  /fragmented       echo every message as three fragments (send() of a
                    list); text is split between characters, since
                    websockets encodes each str item on its own
  /close/CODE       close at once with CODE and the query's reason
  /ping             ping with the payload "py-ping" and report the pong;
                    report every ping received

Every connection reports {"event":"open","id":...,"path":...,"data":...,
"header":...} when it opens (data is the names of the negotiated extensions,
comma-separated, "" for none; header is the Sec-WebSocket-Extensions answer
with its parameters) and {"event":"close","id":...,"code":...,"reason":...}
when it ends (the close frame received, as websockets reports it); an
exception in a handler is reported as {"event":"error",...}. The query's id
parameter names the Go case in these lines.

    python3 ws_server.py

The server runs with websockets' defaults for compression: it accepts a
permessage-deflate offer (RFC 7692), answering server_max_window_bits=12 and,
when the offer allows it, client_max_window_bits=12, and compresses every
message it sends; a client that offers nothing gets plain frames.

Like ws_client.py it uses websockets.legacy (websockets.serve in 10.x) by
its explicit name.

The process exits by itself after a bound (SURGE_INTEROP_TIMEOUT_MS, default
120 s) in case the test that started it dies without killing it.
"""

import asyncio
import json
import os
import re
import sys
import threading
import traceback
import urllib.parse

from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode
from websockets.legacy.server import WebSocketServerProtocol, serve

LIFETIME = float(os.environ.get("SURGE_INTEROP_TIMEOUT_MS", "120000")) / 1000

# MAX_SIZE bounds a received message: above the 16 MiB the tests send.
MAX_SIZE = 64 << 20

_out = threading.Lock()


def report(**fields):
    """Prints one JSON line; the lifetime timer's thread may print too."""
    line = json.dumps(fields)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def text(b):
    return bytes(b).decode("utf-8", "backslashreplace")


class RecordingProtocol(WebSocketServerProtocol):
    """Calls on_ping and on_pong with the payload of each ping and pong
    received. websockets answers pings and matches pongs itself and has no
    public hook for either, so the frame reader is wrapped (read_frame is
    websockets' own, unchanged since 8.0)."""

    on_ping = None
    on_pong = None

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode == Opcode.PING and self.on_ping:
            self.on_ping(frame.data)
        elif frame.opcode == Opcode.PONG and self.on_pong:
            self.on_pong(frame.data)
        return frame


async def echo(ws):
    async for msg in ws:
        await ws.send(msg)


async def fragmented(ws):
    async for msg in ws:
        a, b = len(msg) // 3, 2 * len(msg) // 3
        await ws.send([msg[:a], msg[a:b], msg[b:]])


async def ping(ws, ident):
    pongs = []
    ws.on_ping = lambda data: report(event="ping", id=ident, data=text(data))
    ws.on_pong = lambda data: pongs.append(bytes(data))
    waiter = await ws.ping(b"py-ping")
    try:
        # The waiter completes only on a pong with the same payload.
        await asyncio.wait_for(waiter, 10)
        report(event="pong", id=ident, data=text(pongs[0]))
    except asyncio.TimeoutError:
        report(event="error", id=ident, message="no pong with payload py-ping within 10 s; pongs: %r" % pongs)
    await drain(ws)


async def drain(ws):
    """Reads until the client closes (it decides when), dropping messages."""
    async for _ in ws:
        pass


async def handler(ws):
    url = urllib.parse.urlsplit(ws.path)
    query = urllib.parse.parse_qs(url.query)
    ident = query.get("id", [""])[0]
    path = url.path
    report(
        event="open",
        id=ident,
        path=path,
        data=",".join(e.name for e in ws.extensions),
        header=ws.response_headers.get("Sec-WebSocket-Extensions", ""),
    )
    try:
        m = re.fullmatch(r"/close/(\d+)", path)
        if path == "/echo":
            await echo(ws)
        elif path == "/fragmented":
            await fragmented(ws)
        elif m:
            await ws.close(int(m.group(1)), query.get("reason", [""])[0])
        elif path == "/ping":
            await ping(ws, ident)
        else:
            await ws.close(1008, "unknown path " + path)
    except ConnectionClosed:
        pass  # reported below, from the close frames
    except Exception as exc:  # noqa: BLE001 - reported for the Go test
        report(event="error", id=ident, path=path, message="%s: %s" % (type(exc).__name__, exc))
        traceback.print_exc()
        await ws.close(1011, "ws_server.py: " + type(exc).__name__)
    await ws.wait_closed()
    report(event="close", id=ident, path=path, code=ws.close_code, reason=ws.close_reason)


async def main():
    async with serve(
        handler,
        "127.0.0.1",
        0,
        create_protocol=RecordingProtocol,
        max_size=MAX_SIZE,
        # No keepalive pings: the tests ping on their own schedule.
        ping_interval=None,
        close_timeout=10,
    ) as server:
        with _out:
            sys.stdout.write("%d\n" % server.sockets[0].getsockname()[1])
            sys.stdout.flush()
        await asyncio.Future()  # until killed or the lifetime bound


def expire():
    report(event="timeout")
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.stderr.write("usage: python3 ws_server.py\n")
        sys.exit(2)
    timer = threading.Timer(LIFETIME, expire)
    timer.daemon = True
    timer.start()
    asyncio.run(main())
