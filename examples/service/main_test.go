package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/internal/browsertest"
)

// startService starts the service on a free port and returns its URL; it
// stops the service through its context when the test ends.
func startService(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", addr, "-drain-delay", "10ms"}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	})

	url := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/livez")
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("service did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRun starts the service, checks that it answers, and stops it through
// its context.
func TestRun(t *testing.T) {
	url := startService(t)
	for path, want := range map[string]int{"/hello": 200, "/livez": 200, "/readyz/inventory?verbose": 0, "/slo": 200, "/quote": 0, "/metrics": 200, "/version": 200, "/events": 200} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want != 0 && resp.StatusCode != want {
			t.Errorf("GET %s = %d %s, want %d", path, resp.StatusCode, b, want)
		}
	}
}

// TestSLOPage opens /slo as the README says: in a browser it is the
// error-budget page, to curl it is JSON.
func TestSLOPage(t *testing.T) {
	url := startService(t)
	for range 20 {
		resp, err := http.Get(url + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(url + "/slo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("curl gets %q, want JSON", ct)
	}

	browser := browsertest.Start(t)
	tab := browsertest.Open(t, browser, url+"/slo", browsertest.Desktop)
	tab.RequireClean(t, url)
	// A card per route, worst first: /hello has data, /quote and the
	// overflow route none.
	name := browsertest.Eval[string](t, tab, `document.querySelector("section.slo h2").textContent`)
	cards := browsertest.Eval[int](t, tab, `document.querySelectorAll("section.slo").length`)
	if name != "availability GET /hello" || cards != 3 {
		t.Errorf("/slo in a browser shows %q first of %d cards, want availability GET /hello of 3", name, cards)
	}
	sli := browsertest.Eval[string](t, tab, `document.querySelector(".stat .note").textContent`)
	if !strings.Contains(sli, "of 20 events") {
		t.Errorf("SLI note %q does not count the requests", sli)
	}
	tab.Screenshot(t, "service-slo")
}

// A newcomer's first look at /readyz sees 200 at every start: the
// simulated dependency is up when the service starts, as a real one usually
// is, and its first ping is in before the server listens. Fifty starts, each
// probed the moment it answers at all, as a first curl would.
func TestReadyAtEveryStart(t *testing.T) {
	for i := range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"-addr", addr, "-drain-delay", "1ms"}) }()

		url := "http://" + addr
		var resp *http.Response
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if resp, err = http.Get(url + "/readyz?verbose"); err == nil {
				break // the first answer
			}
			if time.Now().After(deadline) {
				t.Fatalf("start %d: not listening within 10s: %v", i, err)
			}
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("start %d: the first GET /readyz = %d %s, want 200", i, resp.StatusCode, body)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d: run = %v", i, err)
		}
	}
}

// The service's health listener tells draining from a check's
// change by the change's kind.
func TestLogChangeByKind(t *testing.T) {
	var buf bytes.Buffer
	f := logChange(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	f(health.Change{Kind: health.CheckAdded, Name: "inventory"})
	f(health.Change{Kind: health.StatusChanged, Name: "inventory", From: health.StatusUnknown, To: health.StatusFail, Err: errors.New("reset")})
	f(health.Change{Kind: health.DrainStarted, From: health.StatusPass, To: health.StatusFail})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`msg="health check added" check=inventory`,
		`msg="health changed" check=inventory from=unknown to=fail err=reset`,
		`msg="draining: readiness fails from now on"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("logged %q, want %d lines", lines, len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want %q in it", i, lines[i], w)
		}
	}
}

// TestAddressInUse: a service that cannot listen says so at once, and
// neither logs that it listens nor announces a deployment it will never
// serve.
func TestAddressInUse(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	t.Setenv("RUNKIT_VERSION", "1.4.2") // so that a marker would be sent

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	err = run(context.Background(), []string{"-addr", held.Addr().String(), "-drain-delay", "1ms"})
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	r.Close()

	if err == nil || !strings.Contains(err.Error(), held.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("run on a port in use = %v, want the address and that it is in use", err)
	}
	if len(out) != 0 {
		t.Errorf("run on a port in use announced a deployment:\n%s", out)
	}
}

// A check that turns to pass has no error: its change is logged without
// "err=<nil>".
func TestLogChangeOmitsNilErr(t *testing.T) {
	var buf bytes.Buffer
	f := logChange(slog.New(slog.NewTextHandler(&buf, nil)))
	f(health.Change{Kind: health.StatusChanged, Name: "inventory", From: health.StatusFail, To: health.StatusPass})
	if line := buf.String(); !strings.Contains(line, `check=inventory from=fail to=pass`) || strings.Contains(line, "err=") {
		t.Errorf("logged %q", line)
	}
}
