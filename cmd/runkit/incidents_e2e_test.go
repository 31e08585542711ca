package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// countingService exposes runkit_slo_events_total as a service under
// load would: 100 events a second, good while healthy, bad while failing,
// counted when Prometheus scrapes.
type countingService struct {
	mu      sync.Mutex
	failing bool
	last    time.Time
	events  *prometheus.CounterVec
	handler http.Handler
}

func newCountingService() *countingService {
	reg := prometheus.NewRegistry()
	s := &countingService{last: time.Now(), events: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: promrules.EventsMetric, Help: "SLO events by outcome.",
	}, []string{"slo", "outcome"})}
	reg.MustRegister(s.events)
	s.events.WithLabelValues("availability", "good")
	s.events.WithLabelValues("availability", "bad")
	s.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return s
}

// advanceLocked counts the events since the last count; s.mu is held.
func (s *countingService) advanceLocked() {
	now := time.Now()
	n := 100 * now.Sub(s.last).Seconds()
	s.last = now
	outcome := "good"
	if s.failing {
		outcome = "bad"
	}
	s.events.WithLabelValues("availability", outcome).Add(n)
}

func (s *countingService) setFailing(failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	s.failing = failing
}

func (s *countingService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.advanceLocked()
	s.mu.Unlock()
	s.handler.ServeHTTP(w, r)
}

// receiverProcess is runkit incidents serve, run as a user runs it.
type receiverProcess struct {
	addr, file, deployments string
	cmd                     *exec.Cmd
	exited                  chan struct{}
	logs                    bytes.Buffer
}

func (p *receiverProcess) start(t *testing.T) {
	t.Helper()
	p.cmd = exec.Command(filepath.Join(binDir, "runkit"), "incidents", "serve", "--listen", p.addr, "--file", p.file,
		"--deployments", p.deployments, "--lookback", "1h")
	p.cmd.Env = append(os.Environ(), "RUNKIT_INCIDENTS_TOKEN=s3cret")
	p.logs.Reset()
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(p.cmd, p.exited)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", p.addr)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("runkit incidents serve exited: %s", p.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("runkit incidents serve does not listen on %s", p.addr)
		}
	}
}

// kill kills the receiver as a crash would: SIGKILL, no shutdown.
func (p *receiverProcess) kill() {
	if p.cmd != nil {
		p.cmd.Process.Kill()
		<-p.exited
		p.cmd = nil
	}
}

func (p *receiverProcess) records(t *testing.T) []incident.Record {
	t.Helper()
	f, err := os.Open(p.file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := incident.ReadRecords(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// The incident loop with real components: a service's counters scraped
// by a real Prometheus evaluating runkit's rules, alerts routed by a real
// Alertmanager to runkit incidents serve, and runkit dora reading what it
// wrote. The receiver is killed twice mid-incident: once while the alert
// fires (Alertmanager repeats it to the new process), once while it
// resolves (Alertmanager retries the resolved notification).
func TestIncidentLoopWithPrometheusAndAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and Alertmanager")
	}
	promtest.Tool(t, "prometheus")
	promtest.Tool(t, "prometheus-alertmanager")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	began := time.Now()

	// An hour's objective with a page tier over 1m and 5s at a burn rate
	// of 3, for 3s: a service failing every request burns at 100.
	const (
		eval      = time.Second
		short     = 5 * time.Second
		forTime   = 3 * time.Second
		groupWait = time.Second
	)
	o := slo.Objective{Name: "availability", Target: 0.99, Window: slo.Rolling(time.Hour)}
	policy := slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: time.Minute, Short: short, BudgetShare: 0.05, For: forTime}}}
	var rules bytes.Buffer
	if err := promrules.Write(&rules, promrules.Config{}, promrules.SLO{Objective: o, Policy: &policy,
		Labels: map[string]string{"service": "checkout", "environment": "production"}}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	rcv := &receiverProcess{addr: promtest.FreeAddr(t), file: filepath.Join(dir, "incidents.jsonl"), deployments: filepath.Join(dir, "deployments.jsonl")}
	t.Cleanup(func() {
		rcv.kill()
		if t.Failed() {
			b, _ := os.ReadFile(rcv.file)
			t.Logf("incident file:\n%s\nlast receiver log:\n%s", b, rcv.logs.String())
		}
	})
	// The deployment the incident will be attributed to, two minutes
	// before it.
	deployed := deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2", Start: time.Now().Add(-2 * time.Minute).Truncate(time.Second)}
	var markers bytes.Buffer
	if err := deploy.Writer(&markers).Send(ctx, deployed); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rcv.deployments, markers.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rcv.start(t)

	am := promtest.StartAlertmanager(t, ctx, fmt.Sprintf(`route:
  receiver: runkit
  group_by: [slo, service, environment]
  group_wait: %s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: runkit
    webhook_configs:
      - url: http://%s/
        send_resolved: true
        http_config:
          authorization:
            credentials: s3cret
`, groupWait, rcv.addr))

	svc := newCountingService()
	srv := httptest.NewServer(svc)
	defer srv.Close()
	prom := promtest.StartPrometheus(t, ctx, fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: %s
rule_files: [rules.yaml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: checkout
    static_configs:
      - targets: [%q]
`, eval, strings.TrimPrefix(am.URL, "http://"), strings.TrimPrefix(srv.URL, "http://")), map[string][]byte{"rules.yaml": rules.Bytes()})

	// Healthy first, until both windows of the page have data.
	if !promtest.Until(ctx, func() bool {
		return len(prom.Query(t, promrules.ErrorRatio+"5s")) == 1 && len(prom.Query(t, promrules.ErrorRatio+"1m")) == 1
	}) {
		t.Fatal("Prometheus never recorded the error ratios")
	}
	ready := time.Now()

	// Failing: the incident opens within short window + for + group_wait
	// + one evaluation.
	failAt := time.Now()
	svc.setFailing(true)
	var rec incident.Record
	if !promtest.Until(ctx, func() bool {
		recs := rcv.records(t)
		if len(recs) == 1 {
			rec = recs[0]
		}
		return len(recs) > 0
	}) {
		t.Fatal("no incident opened")
	}
	openedAfter := time.Since(failAt)
	if bound := short + forTime + groupWait + eval; openedAfter > bound {
		t.Errorf("incident opened %v after the service failed, want within %v", openedAfter, bound)
	}
	wantCause := deployed.Deployment().ID
	if !rec.Open() || rec.SLO != "availability" || rec.Service != "checkout" || rec.Environment != "production" || rec.Severity != "page" || rec.Cause != wantCause {
		t.Errorf("opened %+v, want an open page of availability of checkout/production caused by %s", rec, wantCause)
	}

	// Killed while the alert fires: Alertmanager's repeats reach the
	// restarted receiver and change nothing.
	before, _ := os.ReadFile(rcv.file)
	rcv.kill()
	time.Sleep(2 * time.Second) // a repeat fails against the dead receiver
	rcv.start(t)
	time.Sleep(4 * time.Second) // repeats every 2s reach the new one
	after, _ := os.ReadFile(rcv.file)
	if !bytes.Equal(before, after) {
		t.Errorf("repeats after the restart changed the file:\n%s\nto\n%s", before, after)
	}

	// Killed again, then healthy: the resolved notification fails until
	// the receiver is back, and then restores the incident.
	rcv.kill()
	healAt := time.Now()
	svc.setFailing(false)
	firing := fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",slo="availability"}`, promrules.BurnAlert)
	if !promtest.Until(ctx, func() bool { return len(prom.Query(t, firing)) == 0 }) {
		t.Fatal("the alert never resolved in Prometheus")
	}
	resolvedInProm := time.Since(healAt)
	time.Sleep(2 * time.Second) // Alertmanager tries the dead receiver
	rcv.start(t)
	if !promtest.Until(ctx, func() bool {
		recs := rcv.records(t)
		if len(recs) == 1 {
			rec = recs[0]
		}
		return len(recs) != 1 || !rec.Open()
	}) {
		t.Fatal("the incident was never restored")
	}
	restoredAfter := time.Since(healAt)
	recs := rcv.records(t)
	if len(recs) != 1 || recs[0].Open() || len(recs[0].Alerts) != 1 {
		t.Fatalf("records %+v, want one restored incident of one alert", recs)
	}

	// What Prometheus saw: the firing samples of ALERTS, one an
	// evaluation from the one that fired to the last before it resolved.
	samples := prom.Query(t, firing+"[10m]")
	if len(samples) == 0 {
		t.Fatal("no firing samples of ALERTS")
	}
	promTTR := samples[len(samples)-1].Time.Sub(samples[0].Time) + eval

	// runkit dora on the file.
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "runkit"), "dora", "--deployments", rcv.deployments,
		"--incidents", rcv.file, "--since", "1h", "-o", "json").Output()
	if err != nil {
		t.Fatalf("runkit dora: %v", err)
	}
	var d struct {
		TimeToRestoreMedianSeconds float64
		FailedDeployments          int
		Incidents                  int
		Attributions               []struct{ Incident, Deployment string }
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	doraTTR := time.Duration(d.TimeToRestoreMedianSeconds * float64(time.Second))
	if diff := time.Duration(math.Abs(float64(doraTTR - promTTR))); diff > eval {
		t.Errorf("runkit dora's time to restore %v, Prometheus saw the page fire for %v: %v apart, want within %v", doraTTR, promTTR, diff, eval)
	}
	if d.Incidents != 1 || d.FailedDeployments != 1 || len(d.Attributions) != 1 || d.Attributions[0].Deployment != wantCause || d.Attributions[0].Incident != recs[0].ID {
		t.Errorf("runkit dora: %s", out)
	}
	t.Logf("Prometheus ready after %v; incident opened %v after the service failed (bound %v); alert resolved in Prometheus %v after it healed; incident restored %v after it healed (receiver down for the first 2s of that); time to restore: runkit dora %v, Prometheus %v; whole test %v",
		ready.Sub(began).Round(time.Millisecond), openedAfter.Round(time.Millisecond), short+forTime+groupWait+eval,
		resolvedInProm.Round(time.Millisecond), restoredAfter.Round(time.Millisecond), doraTTR, promTTR, time.Since(began).Round(time.Millisecond))
}
