package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServiceProcess is not a test: run by TestInterrupts as a child
// process, it is the service, on the address in RUNKIT_EXAMPLE_ADDR.
func TestServiceProcess(t *testing.T) {
	addr := os.Getenv("RUNKIT_EXAMPLE_ADDR")
	if addr == "" {
		t.Skip("the service process of TestInterrupts")
	}
	if err := run(context.Background(), []string{"-addr", addr, "-drain-delay", os.Getenv("RUNKIT_EXAMPLE_DRAIN")}); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// service starts the service as its own process, draining for drain on
// the first interrupt, and returns it with its log lines as they come.
func service(t *testing.T, drain string) (*exec.Cmd, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServiceProcess$")
	cmd.Env = append(os.Environ(), "RUNKIT_EXAMPLE_ADDR="+addr, "RUNKIT_EXAMPLE_DRAIN="+drain, "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

// await reads lines until one holds want, and returns them all.
func await(t *testing.T, lines <-chan string, want string) []string {
	t.Helper()
	var seen []string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the service ended before logging %q:\n%s", want, strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, want) {
				return seen
			}
		case <-timeout:
			t.Fatalf("no %q in 20s:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

// TestInterrupts runs the service as a process and interrupts it as a
// terminal's Ctrl-C does: the first interrupt drains and stops cleanly,
// and a second, while it drains, exits at once.
func TestInterrupts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the service as a process")
	}
	t.Run("once", func(t *testing.T) {
		cmd, lines := service(t, "100ms")
		await(t, lines, `msg=listening`)
		cmd.Process.Signal(os.Interrupt)
		seen := await(t, lines, `msg=stopped`)
		if err := cmd.Wait(); err != nil {
			t.Errorf("after one interrupt: %v, want a clean exit", err)
		}
		for _, l := range seen {
			if strings.Contains(l, "err=<nil>") {
				t.Errorf("logged %q", l)
			}
		}
	})
	t.Run("twice", func(t *testing.T) {
		cmd, lines := service(t, "1m")
		await(t, lines, `msg=listening`)
		cmd.Process.Signal(os.Interrupt)
		await(t, lines, `interrupt again to exit at once`)
		start := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		await(t, lines, `exiting at once`)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("after a second interrupt: %v, want exit status 1", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("exited %v after the second interrupt, with a minute's drain left", took)
		}
	})
}
