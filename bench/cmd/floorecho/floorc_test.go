//go:build linux

package main

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFloorC builds bench/floorc, the floor written in C, with the system's
// C compiler and runs the same client against it, then a client that
// breaks the protocol, which must lose its connection and nothing else.
func TestFloorC(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc): bench/floorc is not built")
	}
	bin := filepath.Join(t.TempDir(), "floorc")
	if out, err := exec.Command(cc, "-O2", "-Wall", "-Wextra", "-Werror", "-o", bin, "../../floorc/floorc.c").CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var addr string
	select {
	case line := <-lines:
		_, addr, _ = strings.Cut(strings.TrimSpace(line), " addr=")
		if !strings.HasPrefix(line, "echoserver lib=floor-c pid=") || addr == "" {
			t.Fatalf("first line %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("floorc printed no address")
	}
	checkEcho(t, addr)

	// An unmasked frame after the handshake: the server closes that
	// connection.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var head strings.Builder
	for !strings.HasSuffix(head.String(), "\r\n\r\n") {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("handshake: %v after %q", err, head.String())
		}
		head.WriteByte(b)
	}
	// RFC 6455's own example key and accept value.
	if !strings.Contains(head.String(), "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") {
		t.Fatalf("handshake answer %q", head.String())
	}
	if _, err := c.Write([]byte{0x82, 3, 'a', 'b', 'c'}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 16)); err == nil {
		t.Fatalf("an unmasked frame got %d bytes of answer", n)
	}
	select {
	case err := <-exited:
		t.Fatalf("floorc exited: %v", err)
	default:
	}
	checkEcho(t, addr) // the server still serves
}
