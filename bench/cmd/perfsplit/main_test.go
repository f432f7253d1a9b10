package main

import (
	"maps"
	"strings"
	"testing"
)

// sample is perf script's text for one call chain of the echo server,
// innermost frame first.
func sample(frames ...string) string { return sampleOf("echoserver", frames...) }

// sampleOf is sample for a process named comm.
func sampleOf(comm string, frames ...string) string {
	var b strings.Builder
	b.WriteString(comm + " 32642 [000] 21285.209177:     500000 cpu-clock:pppH: \n")
	for _, f := range frames {
		sym, dso, _ := strings.Cut(f, "@")
		b.WriteString("\t           ba5b1 " + sym + "+0x11 (" + dso + ")\n")
	}
	b.WriteString("\n")
	return b.String()
}

const (
	k   = "[kernel.kallsyms]"
	bin = "/tmp/echoserver"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		chain []string
		want  string
	}{
		{"write named by the kernel", []string{"tcp_v4_rcv@" + k, "ksys_write@" + k, "do_syscall_64@" + k,
			"syscall.RawSyscall6@" + bin, "github.com/surgews/surge/internal/netpoll.sysWrite@" + bin}, catWrite},
		{"read named by the caller", []string{"_copy_to_iter@" + k, "internal/runtime/syscall/linux.Syscall6@" + bin,
			"syscall.Syscall@" + bin, "syscall.read@" + bin, "internal/poll.(*FD).Read@" + bin}, catRead},
		{"recvfrom named by the kernel", []string{"_copy_to_iter@" + k, "__sys_recvfrom@" + k, "do_syscall_64@" + k,
			"syscall.RawSyscall6@" + bin, "github.com/surgews/surge/internal/netpoll.(*Poller).wait@" + bin}, catRead},
		{"sendto named by the kernel", []string{"_copy_from_iter@" + k, "__sys_sendto@" + k, "syscall.RawSyscall6@" + bin}, catWrite},
		// surge's read and write stubs are in package internal/netpoll:
		// the function's name tells the call, not the package's.
		{"read stub in a poller package", []string{"_copy_to_iter@" + k, "syscall.RawSyscall6@" + bin,
			"github.com/surgews/surge/internal/netpoll.sysRead@" + bin, "github.com/surgews/surge/engine.(*loop).read@" + bin}, catRead},
		{"vector write stub in a poller package", []string{"tcp_v4_rcv@" + k, "syscall.RawSyscall6@" + bin,
			"github.com/surgews/surge/internal/netpoll.sysWritev@" + bin}, catWrite},
		{"surge's poller", []string{"ep_poll@" + k, "syscall.RawSyscall6@" + bin,
			"github.com/surgews/surge/internal/netpoll.(*Poller).wait@" + bin}, catPoll},
		{"runtime poller", []string{"finish_task_switch.isra.0@" + k, "internal/runtime/syscall/linux.Syscall6@" + bin,
			"internal/runtime/syscall/linux.EpollWait@" + bin, "runtime.netpoll@" + bin}, catPoll},
		{"futex before the ready in its caller", []string{"_raw_spin_unlock_irqrestore@" + k, "runtime.futex.abi0@" + bin,
			"runtime.futexwakeup@" + bin, "runtime.goready@" + bin}, catFutex},
		{"sysmon sleep", []string{"finish_task_switch.isra.0@" + k, "runtime.usleep.abi0@" + bin, "runtime.sysmon@" + bin}, catSleep},
		{"accept", []string{"inet_csk_accept@" + k, "syscall.accept4@" + bin}, catSetup},
		{"page fault", []string{"exc_page_fault@" + k, "runtime.memclrNoHeapPointers@" + bin}, catKernel},
		{"GC by its worker", []string{"runtime.scanobject@" + bin, "runtime.gcDrain@" + bin, "runtime.gcBgMarkWorker@" + bin}, catGC},
		{"allocator", []string{"runtime.mallocgc@" + bin, "bufio.NewReaderSize@" + bin}, catMalloc},
		{"scheduler", []string{"runtime.findRunnable@" + bin, "runtime.schedule@" + bin}, catSched},
		{"syscall stub", []string{"internal/runtime/syscall/linux.Syscall6@" + bin, "syscall.RawSyscall6@" + bin}, catSysUser},
		{"masking", []string{"github.com/surgews/surge/mask.xorAVX512.abi0@" + bin}, catMask},
		{"peer", []string{"github.com/gorilla/websocket.(*Conn).advanceFrame@" + bin}, catPeer},
		{"surge", []string{"github.com/surgews/surge/session.(*Session).feed@" + bin}, catSurge},
		{"handler", []string{"github.com/surgews/surge/bench/internal/servers.surgeEcho.OnMessage@" + bin}, catHandler},
		{"stdlib", []string{"bufio.(*Reader).Read@" + bin}, catStd},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shares, n, err := split(strings.NewReader(sample(tc.chain...)), "")
			if err != nil || n != 1 || len(shares) != 1 || shares[0].name != tc.want {
				t.Fatalf("split = %v, %d, %v; want one sample of %q", shares, n, err, tc.want)
			}
		})
	}
}

func TestSplitCounts(t *testing.T) {
	in := sample("ksys_write@"+k, "syscall.RawSyscall6@"+bin) +
		sample("ksys_write@"+k, "syscall.RawSyscall6@"+bin) +
		sample("ksys_read@"+k, "syscall.RawSyscall6@"+bin) +
		// A header without a chain (perf record without -g) is not a sample.
		"echoserver 1 1.0: 500000 cpu-clock:pppH: \n\n"
	shares, n, err := split(strings.NewReader(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(shares) != 2 || shares[0] != (share{catWrite, 2}) || shares[1] != (share{catRead, 1}) {
		t.Fatalf("split = %v, %d", shares, n)
	}
	if _, _, err := split(strings.NewReader("echoserver 1 1.0: 500000 cpu-clock:pppH: \n\n"), ""); err == nil {
		t.Fatal("no error for input without call chains")
	}
}

// TestCoreSplit: with -core, the TCP input and timers that run on the
// server's CPU are split out of the server's calls, and other threads of
// the CPU are named; without it, the same input is the write's.
func TestCoreSplit(t *testing.T) {
	input := []string{"tcp_ack@" + k, "tcp_rcv_established@" + k, "tcp_v4_rcv@" + k, "process_backlog@" + k,
		"net_rx_action@" + k, "handle_softirqs@" + k, "__local_bh_enable_ip@" + k, "__dev_queue_xmit@" + k,
		"tcp_sendmsg@" + k, "__sys_sendto@" + k, "do_syscall_64@" + k, "syscall.RawSyscall6@" + bin,
		"github.com/surgews/surge/internal/netpoll.sysWrite@" + bin}
	timer := []string{"__tcp_transmit_skb@" + k, "tcp_delack_timer_handler@" + k, "tcp_delack_timer@" + k,
		"call_timer_fn@" + k, "run_timer_softirq@" + k, "handle_softirqs@" + k, "irq_exit_rcu@" + k,
		"sysvec_apic_timer_interrupt@" + k, "github.com/surgews/surge/session.(*Session).feed@" + bin}
	deferred := []string{"tcp_v4_rcv@" + k, "process_backlog@" + k, "net_rx_action@" + k, "handle_softirqs@" + k,
		"run_ksoftirqd@" + k, "smpboot_thread_fn@" + k, "kthread@" + k}
	in := sample(input...) + sample(input...) + sample(timer...) + sampleOf("ksoftirqd/0", deferred...) +
		sampleOf("kdamond.0", "damon_rand@"+k, "kdamond_fn@"+k) +
		sample("tcp_sendmsg@"+k, "__sys_sendto@"+k, "syscall.RawSyscall6@"+bin) +
		sample("github.com/surgews/surge/session.(*Session).feed@"+bin) +
		// The idle task: idling, and taking a packet's input in an
		// interrupt while it idles.
		sampleOf("swapper", "pv_native_safe_halt@"+k, "default_idle@"+k, "do_idle@"+k, "cpu_startup_entry@"+k) +
		sampleOf("swapper", "tcp_v4_rcv@"+k, "process_backlog@"+k, "net_rx_action@"+k, "handle_softirqs@"+k,
			"irq_exit_rcu@"+k, "sysvec_call_function_single@"+k, "default_idle@"+k, "do_idle@"+k)
	shares, n, err := split(strings.NewReader(in), "echoserver")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range shares {
		got[s.name] = s.samples
	}
	want := map[string]int{catInput: 3, catTimers: 1, catDeferred: 1, catOthers: 1, catWrite: 1, catSurge: 1, catIdle: 1}
	if n != 9 || !maps.Equal(got, want) {
		t.Fatalf("split -core = %v (%d samples), want %v", got, n, want)
	}
	// Without -core the loopback input is the write's, and a timer that
	// interrupted user code is the kernel's.
	shares, _, err = split(strings.NewReader(sample(input...)+sample(timer...)), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(shares) != 2 || shares[0] != (share{catKernel, 1}) || shares[1] != (share{catWrite, 1}) {
		t.Fatalf("split without -core = %v", shares)
	}
}
