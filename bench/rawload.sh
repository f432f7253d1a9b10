#!/bin/bash
# rawload.sh: the closed-loop echo shapes of the performance issue, measured
# with bench/cmd/rawload (raw epoll, no surge code) alone against each
# library's echo server (bench/cmd/echoserver): server on CPU 0 with
# GOMAXPROCS=1, rawload on CPU 1. Prints one JSON line per run. The report's
# figures come from `go run ./cmd/run`, which runs rawload beside wsbench in
# every scenario; this is the quick look without wsbench.
# Usage: bench/rawload.sh [libs] [seconds] [depth]
set -eu
cd "$(dirname "$0")"
libs=${1:-surge-inline,surge-pool,gws,gorilla,gobwas,nbio}
secs=${2:-5}
depth=${3:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/echoserver" ./cmd/echoserver
go build -o "$dir/rawload" ./cmd/rawload
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) load $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in 1000:64 10000:1024 100:16384; do
	conns=${shape%:*}
	size=${shape#*:}
	for lib in ${libs//,/ }; do
		GOMAXPROCS=1 taskset -c 0 "$dir/echoserver" -lib "$lib" -addr 127.0.0.1:0 >"$dir/es.out" 2>&1 &
		for _ in $(seq 50); do grep -q addr= "$dir/es.out" && break; sleep 0.1; done
		addr=$(sed -n 's/.*addr=\([^ ]*\).*/\1/p' "$dir/es.out")
		pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$dir/es.out")
		line=$(GOMAXPROCS=1 taskset -c 1 "$dir/rawload" -url "ws://$addr/" -conns "$conns" -size "$size" -depth "$depth" \
			-warmup 2s -duration "${secs}s" -server-pid "$pid" 2>&1 || true)
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "$conns x $size $lib $line"
	done
done
