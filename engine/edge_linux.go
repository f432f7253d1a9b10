package engine

import "github.com/surgews/surge/internal/netpoll"

// connEdge registers connections edge-triggered. Level triggering costs a
// second poll of every socket that was read: epoll puts a reported fd back
// on its ready list and polls it again at the next wait, only to find it
// drained. With 10,000 connections those sockets are cold in the cache:
// epoll_wait took 15.9% of the server's CPU at 10,000 × 1 KiB
// level-triggered and 11.0% edge-triggered, and messages per server
// core-second rose 1.11× (docs/benchmarks.md, issue 18). The loop still
// reads once per event, for fairness: a read that fills the buffer, or an
// event that reports a hang-up or an error, puts the connection on the
// loop's again list, read on the next turn (loop.readAgain), so nothing
// waits for an edge that will not come.
const connEdge = netpoll.EventEdge
