#!/bin/bash
# alloctrace.sh LIB SECONDS: server allocations second by second under wsbench's
# open-loop rate scenario (default 100 x 16 KiB at 300 messages/s per connection; CONNS, SIZE, RATE override).
# Run from a directory holding echoserver (bench/cmd/echoserver) and wsbench (cmd/wsbench) binaries.
lib=$1 secs=$2 CONNS=${CONNS:-100} SIZE=${SIZE:-16384} RATE=${RATE:-300}
GOMAXPROCS=1 GODEBUG=gctrace=1 taskset -c 0 ./echoserver -lib $lib -addr 127.0.0.1:0 -stats $PWD/at.stats > srv.out 2> srv.err &
spid=$!
for i in $(seq 50); do grep -q addr= srv.out && break; sleep 0.1; done
addr=$(sed -n 's/.*addr=\([^ ]*\).*/\1/p' srv.out)
(for i in $(seq $((secs + 8))); do kill -USR1 $spid 2>/dev/null; sleep 1; done) &
tk=$!
taskset -c 1 ./wsbench echo ws://$addr/ --conns $CONNS --size $SIZE --rate $RATE --duration ${secs}s --warmup 5s --depth 1 --json --quiet > at.json
kill $tk 2>/dev/null; kill $spid; wait $spid 2>/dev/null
echo "# $lib, wsbench echo --conns $CONNS --size $SIZE --rate $RATE --warmup 5s --duration ${secs}s; server GOMAXPROCS=1 on CPU 0, wsbench on CPU 1"
echo "# GC trace:"; grep "^gc " srv.err | sed 's/^/#   /'
python3 - <<'PY'
import json
prev=None
print("# second  messages_total  messages_in_second  allocs_in_second  alloc_bytes_in_second  heap_inuse_KiB")
for i,l in enumerate(open('at.stats')):
    s=json.loads(l)
    if prev:
        print(i, s['messages'], s['messages']-prev['messages'], s['alloc_objects']-prev['alloc_objects'], s['alloc_bytes']-prev['alloc_bytes'], s['heap_inuse']>>10)
    prev=s
PY
rm -f at.stats
