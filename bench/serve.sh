# serve.sh: sourced by floor.sh, cpusplit.sh and corecost.sh, which start
# one echo server at a time on CPU 0 and load it with rawload on CPU 1.

# server_cmd DIR LIB sets cmd, the command line of LIB's echo server from
# the binaries in DIR, and comm, its process name: floor-c (floorc, built
# from floorc/floorc.c), floor-IO (floorecho -io IO), or any
# cmd/echoserver -lib name.
server_cmd() {
	case $2 in
	floor-c) cmd=("$1/floorc") comm=floorc ;;
	floor-*) cmd=("$1/floorecho" -io "${2#floor-}") comm=floorecho ;;
	*) cmd=("$1/echoserver" -lib "$2") comm=echoserver ;;
	esac
}

# serve DIR starts "${cmd[@]}" on CPU 0 with GOMAXPROCS=1 on a free
# loopback port, its output in DIR/es.out, and sets spid to its process
# and addr to the address it reports (empty if it reports none in 5 s).
serve() {
	GOMAXPROCS=1 taskset -c 0 "${cmd[@]}" -addr 127.0.0.1:0 >"$1/es.out" 2>&1 &
	spid=$!
	for _ in $(seq 50); do grep -q addr= "$1/es.out" && break; sleep 0.1; done
	addr=$(sed -n 's/.*addr=\([^ ]*\).*/\1/p' "$1/es.out")
}
