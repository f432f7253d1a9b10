#!/bin/bash
# floor.sh: the floor servers (cmd/floorecho: epoll and io_uring; floorc: C)
# echo servers of the harness, under rawload (no surge code in the
# generator), in rounds whose order rotates, server on CPU 0 with
# GOMAXPROCS=1, rawload on CPU 1. Prints messages per server core-second
# per run and each server's median over the rounds, and its ratio to the
# last server named.
# Usage: bench/floor.sh conns:size depth rounds seconds lib...
#   RATE=N bench/floor.sh ... runs rawload open loop instead, N messages per
#   second per connection (depth is then ignored), so that every server gets
#   the same load, as a server that waits on its generator in closed loop
#   does not.
#   lib: floor-epoll, floor-epoll-sock, floor-uring, floor-uring-multishot
#   (cmd/floorecho -io ...), floor-c (floorc/floorc.c, built with cc -O2),
#   or any cmd/echoserver -lib name.
set -eu
shape=$1 depth=$2 rounds=$3 secs=$4
shift 4
conns=${shape%:*} size=${shape#*:}
cd "$(dirname "$0")"
. ./serve.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/rawload" ./cmd/rawload
go build -o "$dir/echoserver" ./cmd/echoserver
go build -o "$dir/floorecho" ./cmd/floorecho
case " $* " in *" floor-c "*) cc -O2 -o "$dir/floorc" floorc/floorc.c ;; esac
libs=("$@")
n=${#libs[@]}
for round in $(seq 1 "$rounds"); do
	for i in $(seq 0 $((n - 1))); do
		lib=${libs[$(((i + round - 1) % n))]}
		server_cmd "$dir" "$lib"
		serve "$dir"
		mode=(-depth "$depth")
		if [ "${RATE:-0}" != 0 ]; then mode=(-rate "$RATE"); fi
		r=$(GOMAXPROCS=1 taskset -c 1 "$dir/rawload" -url "ws://$addr/" -conns "$conns" -size "$size" "${mode[@]}" \
			-warmup 2s -duration "${secs}s" -server-pid "$spid" 2>&1 || true)
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		v=$(echo "$r" | sed -n 's/.*"msgs_per_server_core_s":\([0-9.]*\).*/\1/p')
		c=$(echo "$r" | sed -n 's/.*"server_cpu_cores":\([0-9.]*\).*/\1/p')
		e=$(echo "$r" | sed -n 's/.*"errors":\([0-9]*\).*/\1/p')
		rate=$(echo "$r" | sed -n 's/.*"msgs_per_s":\([0-9.]*\).*/\1/p')
		p99=$(echo "$r" | sed -n 's/.*"p99_us":\([0-9.]*\).*/\1/p')
		echo "$lib $round ${v:-0} ${c:-0} ${e:-?} ${rate:-0} ${p99:-0}"
	done
done | awk -v last="${libs[$((n - 1))]}" '
	{ printf "%-16s round %s: %9.0f msg per server core-second (server %.2f cores, %s errors; %.0f msg/s, p99 %.0f µs)\n", $1, $2, $3, $4, $5, $6, $7
	  if ($3 > 0) v[$1, ++k[$1]] = $3 # a failed round has no figure; the median leaves it out
	  if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
	function median(lib,   i, j, t, a, c) {
		c = k[lib]; for (i = 1; i <= c; i++) a[i] = v[lib, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2 }
	END { base = median(last)
		for (i = 1; i <= m; i++) printf "median %-16s %9.0f  %.2fx %s\n", order[i], median(order[i]), base ? median(order[i]) / base : 0, last }'
