#!/bin/bash
# Needs, in /tmp/w/cs: rawload, echoserver and floorecho built from bench/cmd (go build -o /tmp/w/cs/NAME ./cmd/NAME); run as root (rfs.sh writes /proc/sys and /sys).
# who.sh LIB conns size: who else runs on CPU 0 during the window
d=/tmp/w/cs; lib=$1
case $lib in floor-*) cmd=($d/floorecho -io ${lib#floor-});; *) cmd=($d/echoserver -lib $lib);; esac
GOMAXPROCS=1 taskset -c 0 "${cmd[@]}" -addr 127.0.0.1:0 >$d/es.out 2>&1 &
spid=$!
for _ in $(seq 50); do grep -q addr= $d/es.out && break; sleep 0.1; done
addr=$(sed -n 's/.*addr=\([^ ]*\).*/\1/p' $d/es.out)
GOMAXPROCS=1 taskset -c 1 $d/rawload -url "ws://$addr/" -conns $2 -size $3 -depth 1 -warmup 2s -duration 6s -server-pid $spid >$d/rl.out 2>&1 &
rl=$!
sleep 3
snap() { for p in /proc/[0-9]*; do [ -r $p/stat ] && awk -v p=${p#/proc/} '{c=$0; sub(/.*\) /,"",c); split(c,f," "); n=$0; sub(/^[0-9]+ \(/,"",n); sub(/\).*/,"",n); print p, n, f[12]+f[13]}' $p/stat 2>/dev/null; done; }
snap > $d/s0; a=$(awk '/^cpu0 /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9, $7, $8}' /proc/stat)
sleep 4
snap > $d/s1; b=$(awk '/^cpu0 /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9, $7, $8}' /proc/stat)
wait $rl; kill $spid; wait $spid 2>/dev/null
echo "$lib $2x$3: cpu0 busy/total/irq/softirq before: $a after: $b"
join <(sort $d/s0) <(sort $d/s1) | awk '{d=$NF-$3; if (d>0) print "  ", $1, $2, d}' | sort -k3 -n -r | head -6
