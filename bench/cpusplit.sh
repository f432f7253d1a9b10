#!/bin/bash
# cpusplit.sh: where an echoed message's server CPU goes, per library and
# dispatch mode, under the same rawload load (bench/cmd/rawload, no surge
# code). For each library: the echo server on CPU 0 (GOMAXPROCS=1), rawload
# on CPU 1; `perf stat` counts the server's system calls over the whole run
# (divided by the echoes rawload verified, connection set-up included), and
# `perf record -g` samples CPU 0, the server's, over the middle of the measured
# window, split into categories by bench/cmd/perfsplit.
# Needs perf (Debian linux-perf) and root or perf_event_paranoid <= 1.
# Usage: bench/cpusplit.sh [libs] [conns:size ...]
set -eu
cd "$(dirname "$0")"
. ./serve.sh
libs=${1:-surge-inline,surge-pool,surge-goroutine,gorilla,gws}
shift || true
shapes=${*:-1000:64 10000:1024 100:16384}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/echoserver" ./cmd/echoserver
go build -o "$dir/rawload" ./cmd/rawload
go build -o "$dir/perfsplit" ./cmd/perfsplit
calls="read write writev recvfrom sendto sendmsg epoll_wait epoll_pwait futex nanosleep sched_yield"
events=$(for s in $calls; do printf 'syscalls:sys_enter_%s,' "$s"; done)
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) load $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in $shapes; do
	conns=${shape%:*}
	size=${shape#*:}
	for lib in ${libs//,/ }; do
		cmd=("$dir/echoserver" -lib "$lib")
		serve "$dir"
		pid=$spid
		perf stat -x, -e "${events%,}" -p "$pid" 2>"$dir/stat" &
		stat=$!
		sleep 0.3
		GOMAXPROCS=1 taskset -c 1 "$dir/rawload" -url "ws://$addr/" -conns "$conns" -size "$size" -depth 1 \
			-warmup 2s -duration 6s -server-pid "$pid" >"$dir/rl" 2>&1 &
		rl=$!
		# The measured window starts after set-up and the warm-up.
		sleep $((3 + conns / 5000))
		# All of CPU 0, then the server's samples: perf record -p follows only
		# the threads that exist when it starts, and a Go server may start
		# more (a peer's profile lost two thirds of its samples that way).
		perf record -q -F 1999 -g -o "$dir/perf.data" -C 0 -- sleep 3 >/dev/null 2>&1 || true
		wait "$rl" || true
		kill -INT "$stat"
		wait "$stat" || true
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "## $conns x $size $lib: $(cat "$dir/rl")"
		verified=$(sed -n 's/.*"verified":\([0-9]*\).*/\1/p' "$dir/rl")
		awk -F, -v n="${verified:-0}" '$1 ~ /^[0-9]+$/ && $1 > 0 && n > 0 {
			sub(/.*sys_enter_/, "", $3); printf "%s %.2f  ", $3, $1 / n; t += $1 }
			END { if (n > 0) printf "= %.2f system calls per echo\n", t / n }' "$dir/stat"
		perf script -i "$dir/perf.data" --pid "$pid" 2>/dev/null | "$dir/perfsplit" || true
	done
done
