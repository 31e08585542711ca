package promrules_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
	"github.com/ybiyri/runkit/telemetry"
)

// firing lists the severities of the burn alerts Prometheus fires.
func firing(t *testing.T, p *promtest.Server, name string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, s := range p.Query(t, fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",slo=%q}`, promrules.BurnAlert, name)) {
		out[s.Metric["severity"]] = true
	}
	return out
}

// A service built from slo.Middleware and telemetry's Prometheus exporter,
// scraped by a real Prometheus that evaluates the generated rules: with 5%
// of requests failing, Prometheus's error ratio is the tracker's, and the
// page tier fires in both, while the ticket tier fires in neither.
func TestEndToEndWithPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// An hour's objective, so that the tiers are minutes long: the page
	// at a burn rate of 2 over 3m and 30s, the ticket at 6 over 10m and
	// 1m. Failing 5% against a budget of 1% burns at 5.
	o := slo.Objective{Name: "e2e", Target: 0.99, Window: slo.Rolling(time.Hour)}
	policy := slo.Policy{Tiers: []slo.Tier{
		{Severity: slo.Page, Long: 3 * time.Minute, Short: 30 * time.Second, BudgetShare: 0.1},
		{Severity: slo.Ticket, Long: 10 * time.Minute, Short: time.Minute, BudgetShare: 1},
	}}
	if th := policy.Tiers[0].Threshold(time.Hour); th != 2 {
		t.Fatalf("page threshold %v, want 2", th)
	}

	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_LOGS_EXPORTER", "none")
	tel, err := telemetry.Setup(ctx, telemetry.WithoutGlobals(), telemetry.WithMetricsExporter("prometheus"), telemetry.WithServiceName("e2e"))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	// Prometheus judges the window by the events it holds, so the tracker
	// is one that started a window before the traffic: it judges the
	// budget by the events seen too, not at the observed rate.
	var made atomic.Bool
	clock := func() time.Time {
		if !made.Load() {
			return time.Now().Add(-o.Window.Rolling)
		}
		return time.Now()
	}
	tr, err := slo.NewTracker(o, slo.TrackerConfig{Policy: &policy, Resolution: time.Second, MeterProvider: tel.MeterProvider, Now: clock})
	made.Store(true)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("GET /work", slo.Middleware(tr, slo.MiddlewareConfig{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%20 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})))
	mux.Handle("GET /metrics", tel.MetricsHandler())
	srv := httptest.NewServer(tel.Middleware(mux))
	defer srv.Close()

	// The counter, as Prometheus sees it, is there before any request and
	// promtool has nothing to say about it.
	checkExposition(t, srv.URL+"/metrics")

	var rules bytes.Buffer
	if err := promrules.Write(&rules, promrules.Config{NoDataFor: time.Minute}, promrules.SLO{Objective: o, Policy: &policy}); err != nil {
		t.Fatal(err)
	}
	prom := promtest.Start(t, ctx, promtest.Config{Target: strings.TrimPrefix(srv.URL, "http://"), Rules: rules.Bytes()})
	// The first scrape sees both series at zero.
	if !promtest.Until(ctx, func() bool { return len(prom.Query(t, `runkit_slo_events_total{slo="e2e"}`)) == 2 }) {
		t.Fatal("Prometheus never scraped runkit_slo_events_total")
	}

	// Traffic until the page fires in Prometheus, 100 requests a second.
	trafficCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-trafficCtx.Done():
				return
			case <-tick.C:
			}
			resp, err := http.Get(srv.URL + "/work")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	start := time.Now()
	var trackerPaged bool
	paged := promtest.Until(ctx, func() bool {
		trackerPaged = trackerPaged || tr.Status().Firing(slo.Page)
		return firing(t, prom, o.Name)["page"]
	})
	firedAfter := time.Since(start)
	// A few seconds more, so that the windows hold a good deal of traffic.
	time.Sleep(5 * time.Second)
	stop()
	<-done
	if !paged {
		t.Fatalf("the page never fired in Prometheus; alerts %v", firing(t, prom, o.Name))
	}
	st := tr.Status()
	if !trackerPaged || !st.Firing(slo.Page) || st.Firing(slo.Ticket) {
		t.Errorf("tracker: page firing %v (and during traffic %v), ticket %v; want the page and not the ticket", st.Firing(slo.Page), trackerPaged, st.Firing(slo.Ticket))
	}
	if got := firing(t, prom, o.Name); got["ticket"] {
		t.Errorf("Prometheus fires the ticket tier: %v", got)
	}

	// Once Prometheus has scraped every event and evaluated the rules on
	// it, its error ratio over the hour is the tracker's.
	total := float64(st.Total)
	if !promtest.Until(ctx, func() bool {
		s := prom.Query(t, `sum(runkit_slo_events_total{slo="e2e"})`)
		return len(s) == 1 && s[0].Value == total
	}) {
		t.Fatalf("Prometheus never counted the tracker's %v events", total)
	}
	time.Sleep(2 * time.Second) // two evaluations after that scrape
	ratio := prom.Query(t, promrules.ErrorRatio+"1h"+`{slo="e2e"}`)
	remaining := prom.Query(t, promrules.BudgetRemaining+`{slo="e2e"}`)
	if len(ratio) != 1 || len(remaining) != 1 {
		t.Fatalf("recorded ratio %v, remaining %v", ratio, remaining)
	}
	diff := math.Abs(ratio[0].Value-st.ErrorRate) / st.ErrorRate
	t.Logf("%d requests, %d bad; error ratio: tracker %.6f, Prometheus %.6f (relative difference %.2g); budget remaining: tracker %.4f, Prometheus %.4f; page fired in Prometheus %v after traffic began",
		st.Total, st.Total-st.Good, st.ErrorRate, ratio[0].Value, diff, st.Remaining, remaining[0].Value, firedAfter.Round(time.Second))
	if diff > 0.01 {
		t.Errorf("Prometheus error ratio %v, tracker %v: %.2g apart, want within 1%%", ratio[0].Value, st.ErrorRate, diff)
	}
	if math.Abs(remaining[0].Value-st.Remaining) > 0.01*math.Abs(st.Remaining) {
		t.Errorf("Prometheus budget remaining %v, tracker %v", remaining[0].Value, st.Remaining)
	}
}

// checkExposition reads /metrics and has promtool check runkit's event
// counter in it.
func checkExposition(t *testing.T, u string) {
	t.Helper()
	promtool := tool(t, "promtool")
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var family bytes.Buffer
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, promrules.EventsMetric) || strings.HasPrefix(line, "# HELP "+promrules.EventsMetric+" ") || strings.HasPrefix(line, "# TYPE "+promrules.EventsMetric+" ") {
			family.WriteString(line + "\n")
		}
	}
	for _, want := range []string{
		"# TYPE runkit_slo_events_total counter",
		`outcome="bad",`, `outcome="good",`, `slo="e2e"`,
	} {
		if !strings.Contains(family.String(), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, family.String())
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = &family
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
