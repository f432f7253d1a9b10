#!/usr/bin/env python3
"""ws_client.py: a Python `websockets` client that surge's server is tested
against (interop/python_test.go).

    python3 ws_client.py URL SCENARIO [ARGS...]

websockets (https://websockets.readthedocs.io, Debian's python3-websockets,
10.4 when this was written) is a strict RFC 6455 / RFC 7692 implementation
written independently of surge and of Node's ws. This script runs one scripted
conversation and prints what it observed as JSON lines on stdout, one per
step, with the field names of node/ws-client.js, for the Go test to check; it
never decides pass or fail itself except for exceptions, which it reports as
{"case":"error",...} and exit status 1. Scenarios:

  echo BIGSIZE        text, binary, non-ASCII text, a fragmented text and
                      binary message (websockets sends one frame per item
                      when send() is given a list), a binary message of
                      BIGSIZE bytes (pattern byte i = (i*31+7)&255) and a
                      compressible 6000-byte JSON-like text, whole and in
                      three fragments; then close 1000 "done"
  ping WAITMS         ping with "py-ping" and report the pong's payload, then
                      count the server's pings for WAITMS and close 1000
  close CODE REASON   close with CODE and REASON and report the close seen
  wait                report the close of a close the server starts

Every scenario first reports {"case":"open","data":...,"header":...}: data
is the names of the negotiated extensions (comma-separated, "" for none) and
header the server's Sec-WebSocket-Extensions answer. The client makes
websockets' default permessage-deflate offer ("permessage-deflate;
client_max_window_bits") in every scenario, so a surge server without
Extensions declines it and one with deflate.New accepts it; websockets then
compresses every message it sends, fragments included (RSV1 on the first).

It uses websockets' asyncio implementation by its explicit name,
websockets.legacy (websockets.connect itself in 10.x, still shipped, though
deprecated, by 14 and later, whose new websockets.connect has another API).

A bound (SURGE_INTEROP_TIMEOUT_MS, default 60 s) ends a stuck run with exit
status 3, naming the step it was stuck in.
"""

import asyncio
import hashlib
import json
import os
import sys
import threading
import traceback

from websockets.frames import Opcode
from websockets.legacy.client import WebSocketClientProtocol, connect

LIFETIME = float(os.environ.get("SURGE_INTEROP_TIMEOUT_MS", "60000")) / 1000

# JSON_SIZE is the size of the compressible text; json_text in Go
# (interop/deflate_test.go) and in node/ws-client.js make the same bytes.
JSON_SIZE = 6000

# MAX_SIZE bounds a received message: above the 16 MiB the tests send, like
# ws's maxPayload (websockets' default is 1 MiB).
MAX_SIZE = 64 << 20

_out = threading.Lock()
_step = "connect"


def report(**fields):
    """Prints one JSON line; the lifetime timer's thread may print too."""
    line = json.dumps(fields)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def step(name):
    """Names the step in progress, for the lifetime bound's report."""
    global _step
    _step = name


def pattern(n):
    """n bytes of byte i = (i*31+7) & 255. The pattern repeats every 256
    bytes, so it is built from one period instead of byte by byte."""
    period = bytes((i * 31 + 7) & 0xFF for i in range(256))
    return (period * (n // 256 + 1))[:n]


def json_text(n):
    parts, size, i = [], 0, 0
    while size < n:
        s = '{"id":%d,"name":"surge","tags":["websocket","deflate"]},' % i
        parts.append(s)
        size += len(s)
        i += 1
    return "".join(parts)[:n]


def describe(name, msg):
    binary = isinstance(msg, bytes)
    data = msg if binary else msg.encode("utf-8")
    out = {"case": name, "binary": binary, "len": len(data)}
    if len(data) <= 1024:
        out["hex"] = data.hex()
        if not binary:
            out["text"] = msg
    else:
        out["sha256"] = hashlib.sha256(data).hexdigest()
    return out


class RecordingProtocol(WebSocketClientProtocol):
    """Keeps the payloads of the pings and pongs received. websockets answers
    pings and matches pongs itself and has no public hook for either, so the
    frame reader is wrapped (read_frame is websockets' own, unchanged since
    8.0)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pings_seen = []
        self.pongs_seen = []

    async def read_frame(self, max_size):
        frame = await super().read_frame(max_size)
        if frame.opcode == Opcode.PING:
            self.pings_seen.append(bytes(frame.data))
        elif frame.opcode == Opcode.PONG:
            self.pongs_seen.append(bytes(frame.data))
        return frame


def closed(ws):
    return {"case": "close", "code": ws.close_code, "reason": ws.close_reason}


async def echo(ws, args):
    big = int(args[0]) if args else 16 << 20
    text = json_text(JSON_SIZE)
    a, b = len(text) // 3, 2 * len(text) // 3
    steps = [
        ("text", "hello surge"),
        ("binary", bytes([0, 1, 2, 0x80, 0xFE, 0xFF])),
        ("utf8-text", "café ✓ 𝄞"),
        # A list is sent as one fragment per item (RFC 6455 §5.4). Items are
        # encoded one by one, so text splits only between characters.
        ("fragmented-text", ["frag-", "mén", "ted"]),
        ("fragmented-binary", [bytes([1, 2]), bytes([3]), bytes([4, 5, 6])]),
        ("big", pattern(big)),
        ("json-text", text),
        ("json-fragmented", [text[:a], text[a:b], text[b:]]),
    ]
    for name, msg in steps:
        step(name)
        await ws.send(msg)
        report(**describe(name, await ws.recv()))
    step("close")
    await ws.close(1000, "done")
    report(**closed(ws))


async def ping(ws, args):
    wait = int(args[0]) / 1000 if args else 1.0
    step("ping")
    # The waiter completes when a pong with this payload arrives; a pong with
    # another payload leaves it pending, so the bound names what came instead.
    waiter = await ws.ping(b"py-ping")
    try:
        await asyncio.wait_for(waiter, 10)
    except asyncio.TimeoutError:
        raise RuntimeError("no pong with payload py-ping within 10 s; pongs received: %r" % ws.pongs_seen) from None
    report(case="pong", data=ws.pongs_seen[0].decode("utf-8", "backslashreplace"))
    # Counting the server's pings over a fixed span is the measurement, not
    # a synchronisation: the server pings on its own clock.
    step("server-pings")
    await asyncio.sleep(wait)
    last = ws.pings_seen[-1].decode("utf-8", "backslashreplace") if ws.pings_seen else ""
    report(case="server-pings", count=len(ws.pings_seen), last=last, open=ws.open)
    step("close")
    await ws.close(1000, "done")
    report(**closed(ws))


async def close(ws, args):
    step("close")
    await ws.close(int(args[0]), args[1] if len(args) > 1 else "")
    report(**closed(ws))


async def wait(ws, args):
    step("wait")
    await ws.wait_closed()
    report(**closed(ws))


SCENARIOS = {"echo": echo, "ping": ping, "close": close, "wait": wait}


async def main(url, scenario, args):
    run = SCENARIOS.get(scenario)
    if run is None:
        report(case="error", error="unknown scenario " + scenario)
        sys.exit(2)
    async with connect(
        url,
        create_protocol=RecordingProtocol,
        max_size=MAX_SIZE,
        # No keepalive pings of its own: the ping scenario counts the
        # server's, and a close must not race a keepalive timeout.
        ping_interval=None,
        open_timeout=10,
        close_timeout=10,
    ) as ws:
        names = ",".join(e.name for e in ws.extensions)
        report(case="open", data=names, header=ws.response_headers.get("Sec-WebSocket-Extensions", ""))
        await run(ws, args)


def expire():
    report(case="error", error="timeout in scenario %s at step %s" % (sys.argv[2], _step))
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.stderr.write("usage: python3 ws_client.py URL SCENARIO [ARGS...]\n")
        sys.exit(2)
    timer = threading.Timer(LIFETIME, expire)
    timer.daemon = True
    timer.start()
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure is reported
        report(case="error", error="step %s: %s: %s" % (_step, type(exc).__name__, exc))
        traceback.print_exc()
        sys.exit(1)
