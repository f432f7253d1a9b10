#!/bin/bash
# Needs, in /tmp/w/cs: rawload, echoserver and floorecho built from bench/cmd (go build -o /tmp/w/cs/NAME ./cmd/NAME); run as root (rfs.sh writes /proc/sys and /sys).
# rfs.sh ROUNDS SHAPE... : each lib with loopback RFS off and on; msgs per server-process
# core-second (rawload) and per CPU-0 busy second (/proc/stat, middle 4 s window).
d=/tmp/w/cs; rounds=$1; shift
libs=(floor-epoll surge-inline gws gorilla)
setrfs() { if [ $1 = on ]; then echo 32768 > /proc/sys/net/core/rps_sock_flow_entries; echo 32768 > /sys/class/net/lo/queues/rx-0/rps_flow_cnt; echo 3 > /sys/class/net/lo/queues/rx-0/rps_cpus;
  else echo 0 > /sys/class/net/lo/queues/rx-0/rps_cpus; echo 0 > /sys/class/net/lo/queues/rx-0/rps_flow_cnt; echo 0 > /proc/sys/net/core/rps_sock_flow_entries; fi; }
trap 'setrfs off' EXIT
for shape in "$@"; do conns=${shape%:*} size=${shape#*:}
for round in $(seq $rounds); do for rfs in off on; do setrfs $rfs
for i in 0 1 2 3; do lib=${libs[$(((i + round - 1) % 4))]}
case $lib in floor-*) cmd=($d/floorecho -io ${lib#floor-});; *) cmd=($d/echoserver -lib $lib);; esac
GOMAXPROCS=1 taskset -c 0 "${cmd[@]}" -addr 127.0.0.1:0 >$d/es.out 2>&1 &
spid=$!
for _ in $(seq 50); do grep -q addr= $d/es.out && break; sleep 0.1; done
addr=$(sed -n 's/.*addr=\([^ ]*\).*/\1/p' $d/es.out)
GOMAXPROCS=1 taskset -c 1 $d/rawload -url "ws://$addr/" -conns $conns -size $size -depth 1 -warmup 2s -duration 6s -server-pid $spid >$d/rl.out 2>&1 &
rl=$!
sleep 3.5
s0=$(awk '/^cpu0 /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
sleep 4
s1=$(awk '/^cpu0 /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
wait $rl
kill $spid; wait $spid 2>/dev/null
m=$(sed -n 's/.*"msgs_per_s":\([0-9.]*\).*/\1/p' $d/rl.out)
c=$(sed -n 's/.*"server_cpu_cores":\([0-9.]*\).*/\1/p' $d/rl.out)
e=$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' $d/rl.out)
set -- $s0; b0=$1 t0=$2; set -- $s1; b1=$1 t1=$2
echo "$shape $rfs $round $lib $m $c $(( b1-b0 )) $(( t1-t0 )) $e" | awk '{printf "%s rfs=%s r%s %-13s msgs/s %7.0f proc-cores %.3f per-proc-core %7.0f cpu0-busy %.3f per-cpu0-busy %7.0f err %s\n",$1,$2,$3,$4,$5,$6,$5/$6,$7/$8,$5/($7/$8),$9}'
done; done; done; done
