package attack

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestProbe reads this process's own figures while it changes them: more
// descriptors, more resident memory, more CPU time.
func TestProbe(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc figures are Linux's")
	}
	before, err := Probe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before.RSS <= 0 || before.FDs < 3 {
		t.Fatalf("%+v: want some memory and at least stdin, stdout and stderr", before)
	}

	var files []*os.File
	for range 20 {
		f, err := os.Open(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	opened, err := Probe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		f.Close()
	}
	if opened.FDs < before.FDs+20 {
		t.Errorf("fds %d after opening 20 files, %d before", opened.FDs, before.FDs)
	}

	// Fresh pages from the kernel, not the Go heap's (which may be
	// resident already, after an earlier test).
	big, err := syscall.Mmap(-1, 0, 64<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(big)
	mapped, err := Probe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1 // touched, so resident
	}
	touched, err := Probe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if touched.RSS < mapped.RSS+32<<20 {
		t.Errorf("RSS %d after touching 64 MiB, %d before", touched.RSS, mapped.RSS)
	}

	// CPU time moves in ticks of 10 ms: spin until it has moved by two.
	deadline := time.Now().Add(10 * time.Second)
	for x := 0; ; x++ {
		if x%(1<<20) == 0 {
			s, err := Probe(os.Getpid())
			if err != nil {
				t.Fatal(err)
			}
			if s.CPU >= before.CPU+20*time.Millisecond {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CPU time %v after spinning 10 s, %v before", s.CPU, before.CPU)
			}
		}
	}

	if _, err := Probe(1 << 30); !errors.Is(err, ErrNoProc) {
		t.Errorf("Probe of no process: %v, want ErrNoProc", err)
	}
}

func TestParseProc(t *testing.T) {
	t.Run("VmRSS", func(t *testing.T) {
		cases := []struct {
			name, in string
			want     int64
			ok       bool
		}{
			{"line among others", "Name:\tx\nVmPeak:\t 99 kB\nVmRSS:\t    1234 kB\nThreads: 4\n", 1234 << 10, true},
			{"no line", "Name:\tx\n", 0, false},
			{"not kB", "VmRSS:\t12 MB\n", 0, false},
			{"not a number", "VmRSS:\tlots kB\n", 0, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := vmRSS([]byte(c.in))
				if (err == nil) != c.ok || got != c.want {
					t.Errorf("vmRSS = %d, %v; want %d, ok %v", got, err, c.want, c.ok)
				}
				if err != nil && !errors.Is(err, ErrNoProc) {
					t.Errorf("error %v does not wrap ErrNoProc", err)
				}
			})
		}
	})
	t.Run("stat", func(t *testing.T) {
		// Fields 14 and 15 are utime and stime, in 1/100 s.
		tail := " S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 9\n"
		cases := []struct {
			name, in string
			want     time.Duration
			ok       bool
		}{
			{"plain name", "42 (echoserver)" + tail, 1750 * time.Millisecond, true},
			{"name with spaces and parentheses", "42 (a) b (c)" + tail, 1750 * time.Millisecond, true},
			{"no parenthesis", "42 echoserver" + tail, 0, false},
			{"short", "42 (x) S 1 2 3\n", 0, false},
			{"negative", "42 (x) S 1 2 3 4 5 6 7 8 9 10 -150 25 0\n", 0, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := cpuTime([]byte(c.in))
				if (err == nil) != c.ok || got != c.want {
					t.Errorf("cpuTime = %v, %v; want %v, ok %v", got, err, c.want, c.ok)
				}
			})
		}
	})
}

// FuzzParseProc: any /proc text gives a figure or an error wrapping
// ErrNoProc, never a panic or a negative figure.
func FuzzParseProc(f *testing.F) {
	f.Add([]byte("VmRSS:\t    1234 kB\n"))
	f.Add([]byte("42 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 9\n"))
	f.Add([]byte("42 (x) S 1 2 3 4 5 6 7 8 9 10 -150 25 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := vmRSS(b); err != nil && !errors.Is(err, ErrNoProc) || n < 0 {
			t.Errorf("vmRSS(%q) = %d, %v", b, n, err)
		}
		if d, err := cpuTime(b); err != nil && !errors.Is(err, ErrNoProc) || d < 0 {
			t.Errorf("cpuTime(%q) = %v, %v", b, d, err)
		}
	})
}
