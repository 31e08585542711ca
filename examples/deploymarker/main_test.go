package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// sloServer serves a real tracker's /slo after good and bad events, and
// counts the requests.
func sloServer(t *testing.T, good, bad int64) (string, *atomic.Int32) {
	t.Helper()
	// The tracker has run a whole window, so the budget is judged on the
	// events it saw, not at the rate of the moment since it started.
	var made atomic.Bool
	clock := func() time.Time {
		if !made.Load() {
			return time.Now().Add(-24 * time.Hour)
		}
		return time.Now()
	}
	tr, err := slo.NewTracker(slo.Objective{Name: "checkout", Target: 0.99, Window: slo.Rolling(24 * time.Hour)}, slo.TrackerConfig{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	made.Store(true)
	if err := tr.RecordN(good, bad); err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		tr.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/slo", &hits
}

// grafana is a fake of Grafana's annotation API that checks the method,
// path and token, answers status, and counts the annotations it took.
func grafana(t *testing.T, status int) (string, *atomic.Int32) {
	t.Helper()
	var took atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/annotations" || r.Header.Get("Authorization") != "Bearer g-token" {
			t.Errorf("Grafana got %s %s with Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(status)
		if status == http.StatusOK {
			took.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &took
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestDeploymarker(t *testing.T) {
	healthy, _ := sloServer(t, 1000, 1)
	spent, _ := sloServer(t, 90, 10)
	quiet, _ := sloServer(t, 0, 0)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)

	for _, c := range []struct {
		name     string
		sloURL   string
		grafana  int // the fake's answer; 0 for no Grafana
		want     int
		marked   bool
		inStderr string
	}{
		{"within budget", healthy, http.StatusOK, 0, true, "deploy allowed (within-budget)"},
		{"stdout only", healthy, 0, 0, true, "deploy allowed"},
		{"budget spent", spent, http.StatusOK, 2, false, "deploy refused (budget-spent)"},
		{"no data after a restart", quiet, http.StatusOK, 2, false, "deploy refused (no-data)"},
		{"slo unreadable", down.URL + "/slo", http.StatusOK, 3, false, "503 Service Unavailable"},
		{"grafana refuses", healthy, http.StatusBadRequest, 3, true, "grafana answered 400 Bad Request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]string{"SLO_URL": c.sloURL, "GIT_COMMIT": "abc123"}
			var took *atomic.Int32
			if c.grafana != 0 {
				vars["GRAFANA_URL"], took = grafana(t, c.grafana)
				vars["GRAFANA_TOKEN"] = "g-token"
			}
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), []string{"checkout", "1.4.2"}, env(vars), &stdout, &stderr)
			if code != c.want || !strings.Contains(stderr.String(), c.inStderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), c.want, c.inStderr)
			}
			if strings.Contains(stderr.String(), "g-token") {
				t.Errorf("stderr shows the token: %s", stderr.String())
			}
			var m struct{ Event, ID, Service, Version, Revision string }
			if c.marked {
				if err := json.Unmarshal(stdout.Bytes(), &m); err != nil || m.Event != "deployment" || m.Service != "checkout" || m.Version != "1.4.2" || m.Revision != "abc123" {
					t.Errorf("stdout %q: want the marker as a JSON line (%v)", stdout.String(), err)
				}
			} else if stdout.Len() > 0 {
				t.Errorf("stdout %q: want no marker", stdout.String())
			}
			if took != nil && c.grafana == http.StatusOK && (took.Load() == 1) != c.marked {
				t.Errorf("Grafana took %d annotations, marked %v", took.Load(), c.marked)
			}
		})
	}
}

func TestDeploymarkerUsage(t *testing.T) {
	sloURL, hits := sloServer(t, 1000, 1)
	for _, c := range []struct {
		name string
		args []string
		vars map[string]string
	}{
		{"no arguments", nil, map[string]string{"SLO_URL": sloURL}},
		{"no SLO_URL", []string{"checkout", "1.4.2"}, nil},
		{"a bad Grafana URL", []string{"checkout", "1.4.2"}, map[string]string{"SLO_URL": sloURL, "GRAFANA_URL": "grafana.internal", "GRAFANA_TOKEN": "g-token"}},
		{"no Grafana token", []string{"checkout", "1.4.2"}, map[string]string{"SLO_URL": sloURL, "GRAFANA_URL": "https://grafana.example"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), c.args, env(c.vars), &stdout, &stderr); code != 1 || stdout.Len() > 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and nothing marked", code, stdout.String(), stderr.String())
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the gate asked /slo %d times on configuration errors, want 0", n)
	}
}
