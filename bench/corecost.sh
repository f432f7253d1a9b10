#!/bin/bash
# corecost.sh: where the server's whole CPU goes per echo, the server's own
# work apart from the TCP stack's work that loopback puts on the sending CPU
# (the peer's TCP input of the server's echoes, TCP timers, ksoftirqd).
# For each round and library (order rotating): the echo server on CPU 0
# (GOMAXPROCS=1), rawload on CPU 1 (no surge code); `perf record -C 0`
# samples all of CPU 0 over 3 s of the measured window, and
# `perfsplit -core` splits the samples, in µs of CPU 0 per echo (its
# not-idle share over rawload's rate). rawload's line adds the host's TCP
# segments, data segments and delayed ACKs sent per echo. The end prints
# each library's median over the rounds, per category.
# Needs perf (Debian linux-perf) and root or perf_event_paranoid <= 1.
# Usage: bench/corecost.sh conns:size rounds lib...
#   lib: any cmd/echoserver -lib name, or floor-epoll (cmd/floorecho)
set -eu
shape=$1 rounds=$2
shift 2
conns=${shape%:*} size=${shape#*:}
cd "$(dirname "$0")"
. ./serve.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/echoserver" ./cmd/echoserver
go build -o "$dir/floorecho" ./cmd/floorecho
go build -o "$dir/rawload" ./cmd/rawload
go build -o "$dir/perfsplit" ./cmd/perfsplit
echo "# $(date -u +%FT%TZ) $conns x $size, 1 in flight, $rounds rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
libs=("$@")
n=${#libs[@]}
: >"$dir/all"
for round in $(seq 1 "$rounds"); do
	for i in $(seq 0 $((n - 1))); do
		lib=${libs[$(((i + round - 1) % n))]}
		server_cmd "$dir" "$lib"
		serve "$dir"
		GOMAXPROCS=1 taskset -c 1 "$dir/rawload" -url "ws://$addr/" -conns "$conns" -size "$size" -depth 1 \
			-warmup 2s -duration 6s -server-pid "$spid" >"$dir/rl" 2>&1 &
		rl=$!
		# Into the measured window: set-up, then the warm-up.
		sleep $((3 + conns / 5000))
		perf record -q -F 1999 -g -o "$dir/perf.data" -C 0 -- sleep 3 >/dev/null 2>&1 || true
		wait "$rl" || true
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		line=$(cat "$dir/rl")
		num() { v=$(sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" <<<"$line"); echo "${v:-0}"; }
		rate=$(num msgs_per_s) used=$(num server_core_not_idle)
		us=$(awk -v r="${rate:-0}" -v u="${used:-0}" 'BEGIN { if (r > 0 && u > 0) printf "%.3f", 1e6 * u / r; else print 0 }')
		echo "## round $round $lib: $rate msg/s, CPU 0 $used used, $us µs per echo;" \
			"TCP per echo: $(num tcp_segs_per_echo) segments, $(num tcp_data_segs_per_echo) data, $(num tcp_delayed_acks_per_echo) delayed ACKs"
		perf script -i "$dir/perf.data" 2>/dev/null | "$dir/perfsplit" -core "$comm" -us "$us" | tee "$dir/split"
		awk -v lib="$lib" -v us="$us" '/µs/ { v = $2; $1 = $2 = $3 = ""; sub(/^ +/, ""); print lib "\t" $0 "\t" v }
			END { print lib "\ttotal\t" us }' "$dir/split" >>"$dir/all"
	done
done
echo
echo "# median over the rounds, µs of CPU 0 per echo"
sort -t$'\t' -k1,1 -k2,2 -k3,3g "$dir/all" | awk -F'\t' -v rounds="$rounds" '
	function out() { if (key != "") { m = (c % 2) ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2; printf "%-16s %6.2f  %s%s\n", lib, m, cat, (c < rounds ? " (" c " rounds)" : "") } }
	{ if ($1 "\t" $2 != key) { out(); key = $1 "\t" $2; lib = $1; cat = $2; c = 0 } v[++c] = $3 }
	END { out() }'
