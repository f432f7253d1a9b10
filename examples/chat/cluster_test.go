package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/surgews/surge/engine"
	"github.com/surgews/surge/internal/natstest"
	"github.com/surgews/surge/session"
)

// TestCluster runs two chat processes joined by one nats-server, a client on
// each: a message sent in a room on one process reaches the client of the
// same room on the other. Then the NATS server is killed (each process goes
// on serving its own clients) and started again, and the rooms are shared
// again once the processes have reconnected.
func TestCluster(t *testing.T) {
	ns := natstest.Start(t)
	bin := filepath.Join(t.TempDir(), "chat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addrA, addrB := startChat(t, bin, ns.URL), startChat(t, bin, ns.URL)

	a := joinNode(t, addrA, "lobby", "a is here")
	b := joinNode(t, addrB, "lobby", "b is here")
	// a's subscription reaches the NATS server asynchronously: b's first
	// messages may come before it. b's own subscription went out before
	// its hello, on the same connection, so from here a's messages reach b.
	crossed(t, b, a, "b says")
	say(t, a, session.CopyText("hi from a"))
	see(t, a, "hi from a")
	see(t, b, "hi from a")

	ns.Stop()
	// Cut off from each other, each process still serves its own room.
	say(t, b, session.CopyText("b alone"))
	see(t, b, "b alone")

	ns.Restart()
	// Once both processes have reconnected (and resubscribed), a's
	// messages reach b again. Until then they may be lost: keep sending.
	crossed(t, a, b, "again")
}

// crossed sends numbered messages from one client until one reaches the
// other, through NATS, within 30 seconds.
func crossed(t *testing.T, from, to *session.Session, prefix string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		say(t, from, session.CopyText(fmt.Sprintf("%s %d", prefix, i)))
		if next(t, to, time.Second, prefix+" ") != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q messages never crossed to the other process", prefix)
		}
	}
}

// see waits for the message want on c, skipping the retries of crossed and
// the like that may come before it.
func see(t *testing.T, c *session.Session, want string) {
	t.Helper()
	if next(t, c, wait, want) != want {
		t.Fatalf("no %q", want)
	}
}

// joinNode is join for a node of a cluster: messages sent in the room on
// the other node may come before the client's own (a's hello, published
// before b's node subscribed, can still reach b if NATS gets it after the
// subscription), so they are skipped.
func joinNode(t *testing.T, addr, room, hello string) *session.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := engine.Dial(ctx, "ws://"+addr+"/room/"+room, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Terminate)
	say(t, c, session.CopyText(hello))
	if next(t, c, wait, hello) == "" {
		t.Fatalf("%q did not come back", hello)
	}
	return c
}

// next returns the next message of c that starts with prefix, skipping
// others, or "" when none comes within d.
func next(t *testing.T, c *session.Session, d time.Duration, prefix string) string {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-c.Incoming():
			if !ok {
				t.Fatalf("session ended: %v", c.CloseReason())
			}
			got := string(f.Payload)
			f.Release()
			if strings.HasPrefix(got, prefix) {
				return got
			}
		case <-timeout:
			return ""
		}
	}
}

// startChat starts a chat process on a free port joined to natsURL and
// returns its address; the process is interrupted when the test ends.
func startChat(t *testing.T, bin, natsURL string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-nats", natsURL)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "chat: open http://"); ok {
				addr <- strings.TrimSuffix(a, "/")
			}
		}
	}()
	select {
	case a := <-addr:
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("chat process did not print its address")
		return ""
	}
}
