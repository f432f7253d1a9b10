// Command perfsplit reads the output of `perf script` (call-graph samples of
// one server process, recorded with `perf record -g`) and prints where the
// CPU went, in the categories the performance issue asks about: the system
// calls (with the kernel work each one does: on loopback a write also runs
// the receiver's TCP input), the Go runtime's scheduler, parking, timers and
// system-call bookkeeping, the garbage collector and the allocator, and the
// library's own code. bench/cpusplit.sh runs it for each library under the
// same load.
//
//	perf script -i perf.data | perfsplit
//
// A sample is charged to its innermost frame: a kernel frame to the system
// call it runs under (found by the user frame that entered the kernel), a
// user frame to the package it belongs to.
//
// With -core COMM the input is every sample of one CPU (perf record -C),
// COMM the server's command name, and the TCP stack's work that a loopback
// test puts on the sending CPU is split out first, whoever was running:
// the TCP input of the packets sent from that CPU (on loopback the peer's
// sockets take the server's echoes there), the timer softirq (TCP's
// delayed-ACK and retransmit timers), softirq work deferred to ksoftirqd,
// and other processes. With -us, the µs of that CPU per echo, each share
// is also printed in µs per echo. bench/corecost.sh runs it.
//
//	perf script -i perf.data | perfsplit -core echoserver -us 10.9
package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	core := flag.String("core", "", "split all of one CPU's samples; the server's command name")
	us := flag.Float64("us", 0, "with -core: µs of the CPU per echo, to print each share in µs per echo")
	flag.Parse()
	shares, n, err := split(os.Stdin, *core)
	if err != nil {
		fmt.Fprintln(os.Stderr, "perfsplit:", err)
		os.Exit(1)
	}
	idle := 0
	for _, s := range shares {
		if s.name == catIdle {
			idle = s.samples
		}
	}
	n -= idle
	if n == 0 {
		fmt.Fprintln(os.Stderr, "perfsplit: the CPU was idle in every sample")
		os.Exit(1)
	}
	for _, s := range shares {
		if s.name == catIdle {
			continue
		}
		frac := float64(s.samples) / float64(n)
		if *us > 0 {
			fmt.Printf("%5.1f%%  %5.2f µs  %s\n", 100*frac, frac**us, s.name)
		} else {
			fmt.Printf("%5.1f%%  %s\n", 100*frac, s.name)
		}
	}
	if idle > 0 {
		fmt.Printf("%d samples, and %d of the idle task idling, not counted\n", n, idle)
		return
	}
	fmt.Printf("%d samples\n", n)
}

// frame is one line of a sample's call chain: the symbol, without its
// offset, and the object it lives in ("[kernel.kallsyms]", a binary, a
// library).
type frame struct {
	sym, dso string
}

// share is how many samples one category got.
type share struct {
	name    string
	samples int
}

// Categories, in the order they are reported when equal.
const (
	catWrite     = "write(2)/writev(2): TCP send, and loopback delivery to the peer"
	catRead      = "read(2): TCP receive"
	catPoll      = "epoll_wait(2): the event loop's or the runtime's poller"
	catFutex     = "futex(2): threads put to sleep and woken"
	catSleep     = "nanosleep/sched_yield: the runtime's sysmon and spinning threads"
	catSetup     = "accept4, setsockopt, epoll_ctl: connections set up"
	catKernel    = "kernel, other (page faults, interrupts, scheduler)"
	catSysUser   = "system-call entry and exit, user side (runtime bookkeeping included)"
	catSched     = "Go scheduler: park, wake, run queues, timers"
	catGC        = "Go garbage collector"
	catMalloc    = "Go allocator"
	catCopy      = "memmove/memclr"
	catMask      = "masking (XOR of payloads)"
	catRuntime   = "Go runtime, other"
	catStd       = "standard library (bufio, net, internal/poll, sync)"
	catHandler   = "the echo handler (bench/internal/servers)"
	catSurge     = "surge code"
	catPeer      = "the peer library's code"
	catOtherUser = "other user code"

	// With -core, whoever ran:
	catInput    = "TCP input of packets sent from this CPU (on loopback, the peer's sockets)"
	catTimers   = "timer softirq (TCP delayed-ACK and retransmit timers)"
	catDeferred = "ksoftirqd (softirq work deferred from the server's calls)"
	catOthers   = "other processes"
	catIdle     = "idle" // not CPU time: -core leaves it out of the shares
)

// split reads perf script output and returns the categories by samples,
// largest first, and the number of samples. With server set, the samples
// are all of one CPU's and server is the server's command name (coreCategory).
func split(r io.Reader, server string) ([]share, int, error) {
	counts := map[string]int{}
	total := 0
	var stack []frame
	comm := ""
	flush := func() {
		if len(stack) > 0 {
			cat := ""
			if server != "" {
				cat = coreCategory(comm, server, stack)
			}
			if cat == "" {
				cat = classify(stack)
			}
			counts[cat]++
			total++
		}
		stack = stack[:0]
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if f, ok := parseFrame(line); ok {
				stack = append(stack, f)
			}
		default: // a sample's header line starts the next call chain
			flush()
			comm, _, _ = strings.Cut(line, " ")
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if total == 0 {
		return nil, 0, fmt.Errorf("no samples with call chains in the input (record with perf record -g)")
	}
	out := make([]share, 0, len(counts))
	for name, n := range counts {
		out = append(out, share{name, n})
	}
	slices.SortFunc(out, func(a, b share) int {
		return cmp.Or(cmp.Compare(b.samples, a.samples), cmp.Compare(a.name, b.name))
	})
	return out, total, nil
}

// coreCategory names the category of a sample of the server's CPU when
// it is not the server's own work: the TCP input that runs on the CPU that
// sent the packet (under the server's send or in an interrupt of whatever
// ran, the idle task included), the timer softirq, ksoftirqd, another
// process, or the idle task idling. It returns "" for the server's own
// work, which classify then splits.
func coreCategory(comm, server string, stack []frame) string {
	softirq := inChain(stack, "handle_softirqs", "__do_softirq")
	switch {
	case comm == "swapper" && !softirq:
		// The idle task, idling: perf's cpu-clock samples it too.
		return catIdle
	case strings.HasPrefix(comm, "ksoftirqd/"):
		return catDeferred
	case inChain(stack, "run_timer_softirq", "call_timer_fn", "tcp_delack_timer", "tcp_write_timer"):
		return catTimers
	case inChain(stack, "process_backlog", "net_rx_action"):
		return catInput
	case comm != server:
		return catOthers
	}
	return ""
}

// parseFrame parses "\t  ffffffff81234567 sym+0x1f (dso)".
func parseFrame(line string) (frame, bool) {
	line = strings.TrimSpace(line)
	addr, rest, ok := strings.Cut(line, " ")
	if !ok || addr == "" {
		return frame{}, false
	}
	open := strings.LastIndexByte(rest, '(')
	if open < 0 || !strings.HasSuffix(rest, ")") {
		return frame{}, false
	}
	sym := strings.TrimSpace(rest[:open])
	if i := strings.LastIndex(sym, "+0x"); i > 0 {
		sym = sym[:i]
	}
	return frame{sym: sym, dso: rest[open+1 : len(rest)-1]}, true
}

// classify names the category of one call chain, innermost frame first.
func classify(stack []frame) string {
	if strings.HasPrefix(stack[0].dso, "[kernel") {
		return kernelCategory(stack)
	}
	return userCategory(stack[0].sym, stack)
}

// kernelCategory charges kernel work to the system call that entered the
// kernel, named by the first user frame, or by the kernel's own entry
// symbol when the chain has no user frame.
func kernelCategory(stack []frame) string {
	for _, f := range stack {
		if strings.HasPrefix(f.dso, "[kernel") {
			switch {
			case hasAny(f.sym, "ksys_write", "do_writev", "__x64_sys_write", "__x64_sys_writev", "__sys_sendmsg", "__sys_sendto"):
				return catWrite
			case hasAny(f.sym, "ksys_read", "__x64_sys_read", "__sys_recvmsg", "__sys_recvfrom"):
				return catRead
			case hasAny(f.sym, "do_epoll_wait", "__x64_sys_epoll"):
				return catPoll
			case hasAny(f.sym, "do_futex", "__x64_sys_futex"):
				return catFutex
			case hasAny(f.sym, "hrtimer_nanosleep", "__x64_sys_nanosleep", "do_sched_yield", "__x64_sys_sched_yield"):
				return catSleep
			}
			continue
		}
		// A user frame: the kernel symbols did not name the call (perf
		// often records only the innermost kernel frame), so the caller
		// names it, skipping the generic system-call stubs.
		if hasAny(f.sym, "Syscall", "syscall.RawSyscall", "syscall.rawsyscall", "syscall.Syscall") &&
			!hasAny(f.sym, "Write", "Read") {
			continue
		}
		// The function's own name, not its package path: surge's read and
		// write stubs live in internal/netpoll, which is not the poller.
		sym := strings.ToLower(funcName(f.sym))
		switch {
		case hasAny(sym, "futex"):
			return catFutex
		case hasAny(sym, "usleep", "osyield", "nanosleep"):
			return catSleep
		case hasAny(sym, "epollctl", "epoll_ctl"):
			return catSetup
		case hasAny(sym, "epoll", "netpoll", "poller"):
			return catPoll
		case hasAny(sym, "accept", "setsockopt", "getsockopt", "epollctl", "epoll_ctl"):
			return catSetup
		case hasAny(sym, "write", "sendmsg"):
			return catWrite
		case hasAny(sym, "read", "recvmsg"):
			return catRead
		}
		if os.Getenv("PERFSPLIT_DEBUG") != "" {
			fmt.Fprintln(os.Stderr, "unnamed system call:", stack[0].sym, "<=", f.sym)
		}
		return catKernel
	}
	return catKernel
}

// funcName returns sym without its package path: "read" for
// "syscall.read", "sysRead" for "github.com/x/internal/netpoll.sysRead",
// "(*Poller).wait" for "internal/netpoll.(*Poller).wait".
func funcName(sym string) string {
	rest := sym[strings.LastIndexByte(sym, '/')+1:]
	if _, name, ok := strings.Cut(rest, "."); ok {
		return name
	}
	return rest
}

// userCategory charges a user frame by what it is.
func userCategory(leaf string, stack []frame) string {
	switch {
	case hasAny(leaf, "internal/runtime/syscall", "syscall.RawSyscall", "syscall.Syscall", "syscall.rawsyscall",
		"runtime.entersyscall", "runtime.exitsyscall", "runtime.reentersyscall", "__vdso"):
		return catSysUser
	case inChain(stack, "runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.bgsweep", "runtime.gcAssistAlloc",
		"runtime.bgscavenge", "runtime.markroot", "runtime.scanobject"):
		return catGC
	case hasAny(leaf, "runtime.mallocgc", "runtime.nextFreeFast", "runtime.(*mcache)", "runtime.(*mcentral)",
		"runtime.(*mheap)", "runtime.newobject", "runtime.makeslice", "runtime.growslice"):
		return catMalloc
	case hasAny(leaf, "runtime.memmove", "runtime.memclr"):
		return catCopy
	case strings.Contains(strings.ToLower(leaf), "mask"):
		return catMask
	case hasAny(leaf, "runtime.schedule", "runtime.findRunnable", "runtime.park", "runtime.gopark", "runtime.goready",
		"runtime.ready", "runtime.runq", "runtime.execute", "runtime.mcall", "runtime.gogo", "runtime.casgstatus",
		"runtime.stealWork", "runtime.checkTimers", "runtime.(*timers)", "runtime.runtimer", "runtime.wakep",
		"runtime.resetspinning", "runtime.gosched", "runtime.goschedImpl", "runtime.newproc", "runtime.lock",
		"runtime.unlock", "runtime.chan", "runtime.selectgo", "runtime.send", "runtime.recv", "runtime.sema",
		"runtime.notewakeup", "runtime.notesleep", "runtime.stopm", "runtime.startm", "runtime.acquirep",
		"runtime.releasep", "runtime.handoffp", "runtime.sysmon", "runtime.retake", "runtime.nanotime",
		"runtime.netpoll", "runtime.futex", "runtime.mPark", "runtime.procyield", "runtime.osyield"):
		return catSched
	case strings.HasPrefix(leaf, "runtime.") || strings.HasPrefix(leaf, "internal/runtime") ||
		strings.HasPrefix(leaf, "sync/atomic") || strings.HasPrefix(leaf, "internal/sync"):
		return catRuntime
	case strings.HasPrefix(leaf, "github.com/surgews/surge/bench/"):
		return catHandler
	case strings.HasPrefix(leaf, "github.com/surgews/surge"):
		return catSurge
	case hasAny(leaf, "github.com/gorilla/", "github.com/lxzan/", "github.com/gobwas/", "github.com/lesismal/",
		"github.com/coder/"):
		return catPeer
	case hasAny(leaf, "bufio.", "net.", "internal/poll.", "sync.", "io.", "syscall.", "unicode/utf8.", "bytes."):
		return catStd
	}
	return catOtherUser
}

func hasAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func inChain(stack []frame, names ...string) bool {
	for _, f := range stack {
		if hasAny(f.sym, names...) {
			return true
		}
	}
	return false
}
