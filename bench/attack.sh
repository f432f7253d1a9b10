#!/bin/bash
# attack.sh: surge's attack suite (issue 16, the tests in reliability/) run
# from outside against each library's echo server (bench/cmd/echoserver) by
# bench/cmd/attack, a fresh server per attack: server on CPU 0, attackers
# on CPU 1, both with GOMAXPROCS=2 (so surge's pool has two workers, as in
# reliability/). Prints one Markdown table per attack for
# docs/reliability.md. Takes about three minutes with every attack, most of
# it the slow readers' hold. Usage: bench/attack.sh [libs] [attacks]
set -eu
cd "$(dirname "$0")"
libs=${1:-gorilla,surge-inline,surge-pool,surge-goroutine}
attacks=${2:-nonreaders,slowreaders,closeorder,invalidclose,head,fdlimit}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/echoserver" ./cmd/echoserver
go build -o "$dir/attack" ./cmd/attack
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) $(go version | cut -d' ' -f3) load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
GOMAXPROCS=2 taskset -c 1 "$dir/attack" -echoserver "$dir/echoserver" -cpu 0 -libs "$libs" -attacks "$attacks"
