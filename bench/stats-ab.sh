#!/bin/bash
# stats-ab.sh: what counting (Server.Stats, the metrics package) costs an
# echo server, measured as docs/operations.md reports it. It builds
# examples/echo twice, normally and with -tags surge_nostats (no counting),
# and runs wsbench against each in alternation (the order flips every
# round), server pinned to CPU 0 with GOMAXPROCS=1, wsbench to CPU 1.
# Usage: bench/stats-ab.sh [rounds]   (about 21 s a round)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-6}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/echo-on" ./examples/echo
go build -tags surge_nostats -o "$dir/echo-off" ./examples/echo
go build -o "$dir/wsbench" ./cmd/wsbench
for round in $(seq 1 "$rounds"); do
	order="on off"
	[ $((round % 2)) = 0 ] && order="off on"
	for v in $order; do
		port=$((19000 + RANDOM % 1000))
		GOMAXPROCS=1 taskset -c 0 "$dir/echo-$v" -addr 127.0.0.1:$port -loops 1 >/dev/null 2>&1 &
		pid=$!
		sleep 0.5
		GOMAXPROCS=1 taskset -c 1 "$dir/wsbench" echo ws://127.0.0.1:$port/ --conns 200 --size 64 \
			--duration 8s --warmup 2s --loops 1 --server-pid $pid --json --quiet >"$dir/r.json"
		kill $pid
		wait $pid 2>/dev/null || true
		python3 - "$v" "$round" "$dir/r.json" <<'PY'
import json, sys
v, r, f = sys.argv[1:]
d = json.load(open(f))
rate, cpu = d['throughput']['messages_per_s'], d['server']['cpu_cores']
print(f"{v:3} round {r}: {rate:9,.0f} msg/s  server {cpu:.3f} cores  {rate/cpu:9,.0f} msg per server core-second")
PY
	done
done
