#!/bin/bash
# ab.sh: two builds of one echo server side by side under rawload (no surge
# code in the generator), alternating (the order flips every round), server
# on CPU 0 with GOMAXPROCS=1, rawload on CPU 1. Prints messages per server
# core-second per run and the geometric mean of B/A over the rounds.
# A and B are echoserver binaries (go build ./cmd/echoserver in two trees).
# Usage: bench/ab.sh A B [lib] [conns:size] [rounds] [seconds]
set -eu
a=$1 b=$2 lib=${3:-surge-inline} shape=${4:-10000:1024} rounds=${5:-6} secs=${6:-5}
conns=${shape%:*} size=${shape#*:}
cd "$(dirname "$0")"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/rawload" ./cmd/rawload
for round in $(seq 1 "$rounds"); do
	order="A B"
	[ $((round % 2)) = 0 ] && order="B A"
	for v in $order; do
		bin=$a
		[ "$v" = B ] && bin=$b
		GOMAXPROCS=1 taskset -c 0 "$bin" -lib "$lib" -addr 127.0.0.1:0 >"$dir/es.out" 2>&1 &
		for _ in $(seq 50); do grep -q addr= "$dir/es.out" && break; sleep 0.1; done
		addr=$(sed -n 's/.*addr=\([^ ]*\).*/\1/p' "$dir/es.out")
		pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$dir/es.out")
		r=$(GOMAXPROCS=1 taskset -c 1 "$dir/rawload" -url "ws://$addr/" -conns "$conns" -size "$size" \
			-warmup 2s -duration "${secs}s" -server-pid "$pid" 2>&1 || true)
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "$v $round $(echo "$r" | sed -n 's/.*"msgs_per_server_core_s":\([0-9.]*\).*/\1/p') $(echo "$r" | sed -n 's/.*"server_cpu_cores":\([0-9.]*\).*/\1/p')"
	done
done | awk '{ printf "%s round %s: %9.0f msg per server core-second (server %.2f cores)\n", $1, $2, $3, $4
	if ($1 == "A") a[$2] = $3; else b[$2] = $3 }
	END { for (r in a) if (a[r] > 0 && b[r] > 0) { s += log(b[r] / a[r]); n++ }
		if (n) printf "B/A geometric mean over %d rounds: %.3f\n", n, exp(s / n) }'
