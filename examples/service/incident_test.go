package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/incident"
)

// fetch fetches url with an Authorization header when token is set.
func fetch(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func events(t *testing.T, url string) []incident.Event {
	t.Helper()
	code, body := fetch(t, url+"/events", "")
	if code != 200 {
		t.Fatalf("GET /events = %d %s", code, body)
	}
	var out []incident.Event
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		var e incident.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("/events line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// waitFor polls cond every 20ms for up to 30s: the service runs in real
// time, its journal reading the tracker every 100ms here.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s", what)
		}
	}
}

// When the quote upstream and /hello break, as the README's "When it
// breaks" tells, the service's /events holds, in order: the quotes
// breaker opening, readiness warning, the page tier firing; and the
// flight recorder has written a snapshot of the breaker opening whose
// trace go tool trace reads, with the trigger's mark in it.
func TestWhenItBreaks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	const token = "oncall-token"
	t.Setenv("RUNKIT_SNAPSHOT_TOKEN", token)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-drain-delay", "1ms", "-outage", "-slo-every", "100ms", "-snapshot-dir", dir})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	}()
	url := "http://" + addr
	waitFor(t, "answer on /livez", func() bool {
		resp, err := http.Get(url + "/livez")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})

	waitFor(t, "open quotes breaker", func() bool {
		code, body := fetch(t, url+"/quote", "")
		return code == http.StatusServiceUnavailable && strings.Contains(string(body), "quotes are unavailable")
	})
	// The breakers check runs in the background: readiness warns within
	// its interval, whether or not anything probes it.
	waitFor(t, "/readyz to warn with the breaker open", func() bool {
		code, body := fetch(t, url+"/readyz?verbose", "")
		return code == 200 && strings.Contains(string(body), `"status":"warn"`)
	})
	for range 20 {
		fetch(t, url+"/hello", "")
	}
	find := func(es []incident.Event, match func(incident.Event) bool) int {
		for i, e := range es {
			if match(e) {
				return i
			}
		}
		return -1
	}
	opened := func(e incident.Event) bool { return e.Name == incident.BreakerState && e.To == "open" }
	warned := func(e incident.Event) bool {
		return e.Name == incident.HealthProbe && e.From == "pass" && e.To == "warn"
	}
	// GET /hello pages; GET /quote, whose upstream is down, may page
	// earlier, on its own objective.
	paged := func(e incident.Event) bool {
		return e.Name == incident.SLOTier && e.To == "firing" && e.Severity == "page" && strings.Contains(e.Subject, "GET /hello")
	}
	snapped := func(trigger incident.Trigger) func(incident.Event) bool {
		return func(e incident.Event) bool {
			return e.Name == incident.ProcessSnapshot && strings.HasPrefix(e.Cause, string(trigger)+": ")
		}
	}
	var es []incident.Event
	waitFor(t, "page tier firing and two snapshots in /events", func() bool {
		es = events(t, url)
		return find(es, paged) >= 0 && find(es, snapped(incident.TriggerBreakerOpen)) >= 0 && find(es, snapped(incident.TriggerPage)) >= 0
	})
	o, w, p := find(es, opened), find(es, warned), find(es, paged)
	if !(o >= 0 && o < w && w < p) {
		t.Errorf("breaker open at %d, readiness warn at %d, page at %d: want them in that order", o, w, p)
	}
	for _, e := range es {
		t.Logf("%s %s", e.Time.Format("15:04:05.000"), e)
	}

	if code, _ := fetch(t, url+"/debug/snapshots", ""); code != http.StatusForbidden {
		t.Errorf("/debug/snapshots without the token = %d, want 403", code)
	}
	code, body := fetch(t, url+"/debug/snapshots", token)
	var list []incident.Snapshot
	if err := json.Unmarshal(body, &list); code != 200 || err != nil {
		t.Fatalf("/debug/snapshots = %d %s", code, body)
	}
	var opening *incident.Snapshot
	for i, s := range list {
		if s.Trigger == incident.TriggerBreakerOpen {
			opening = &list[i]
		}
	}
	if len(list) != 2 || opening == nil {
		t.Fatalf("snapshots %+v: want one of the breaker opening and one of the page", list)
	}
	code, tr := fetch(t, url+"/debug/snapshots/"+opening.Name+"/"+incident.TraceFile, token)
	if code != 200 || int64(len(tr)) != opening.Files[incident.TraceFile] {
		t.Fatalf("trace download = %d, %d bytes, want %d", code, len(tr), opening.Files[incident.TraceFile])
	}
	path := filepath.Join(t.TempDir(), "trace.out")
	os.WriteFile(path, tr, 0o600)
	out, err := exec.Command("go", "tool", "trace", "-d=parsed", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool trace: %v\n%.2000s", err, out)
	}
	if !strings.Contains(string(out), `Category="runkit.incident" Message="trigger breaker-open: breaker.state `) {
		t.Error("the snapshot's trace has no mark of the breaker opening")
	}
}
