package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

var day0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return day0.Add(time.Duration(h * float64(time.Hour))) }

func TestDORAHandComputed(t *testing.T) {
	// Ten days; five deployments, one failed; lead times 1h, 2h, 3h, 4h,
	// 10h, 30h; two incidents of 30 and 90 minutes.
	deps := []deploy.Deployment{
		{ID: "d1", Time: at(10), Commits: []time.Time{at(9), at(8)}},
		{ID: "d2", Time: at(50), Commits: []time.Time{at(47)}},
		{ID: "d3", Time: at(100), Commits: []time.Time{at(96)}, Failed: true},
		{ID: "d4", Time: at(150), Commits: []time.Time{at(140)}},
		{ID: "d5", Time: at(200), Commits: []time.Time{at(170)}},
		{ID: "outside", Time: at(300), Commits: []time.Time{at(299)}},
	}
	incs := []deploy.Incident{
		{Start: at(100.5), Restored: at(101), Cause: "d3"},
		{Start: at(120), Restored: at(121.5)},
	}
	d, err := deploy.MeasureDORA(day0, day0.Add(10*24*time.Hour), deps, incs)
	if err != nil {
		t.Fatal(err)
	}
	if d.Deployments != 5 || d.DeploysPerDay != 0.5 || d.Changes != 6 {
		t.Errorf("deployments %d per day %v changes %d, want 5, 0.5, 6", d.Deployments, d.DeploysPerDay, d.Changes)
	}
	// Sorted lead times 1 2 3 4 10 30 h: median (3+4)/2 = 3.5h;
	// p90 at rank 4.5 = 10 + 0.5×20 = 20h.
	if d.LeadTimeMedian != 210*time.Minute || d.LeadTimeP90 != 20*time.Hour {
		t.Errorf("lead time median %v p90 %v, want 3h30m and 20h", d.LeadTimeMedian, d.LeadTimeP90)
	}
	if want := []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 10 * time.Hour, 30 * time.Hour}; !slices.Equal(d.LeadTimes, want) {
		t.Errorf("lead times %v, want %v", d.LeadTimes, want)
	}
	if d.ChangeFailureRate != 0.2 || d.Incidents != 2 || d.TimeToRestoreMedian != time.Hour {
		t.Errorf("CFR %v incidents %d restore %v, want 0.2, 2, 1h", d.ChangeFailureRate, d.Incidents, d.TimeToRestoreMedian)
	}
	if d.Frequency != deploy.High || d.LeadTime != deploy.Elite || d.FailureRate != deploy.Low || d.Restore != deploy.High {
		t.Errorf("clusters %v %v %v %v, want high elite low high", d.Frequency, d.LeadTime, d.FailureRate, d.Restore)
	}
}

func TestDORAOpenIncidents(t *testing.T) {
	// Ten days, four deployments. d2 caused an incident still open at the
	// end; d3 caused one restored in 30 minutes; another open incident
	// has no known cause.
	deps := []deploy.Deployment{
		{ID: "d1", Time: at(10)}, {ID: "d2", Time: at(100)}, {ID: "d3", Time: at(150)}, {ID: "d4", Time: at(200)},
	}
	incs := []deploy.Incident{
		{Start: at(100.5), Cause: "d2"},
		{Start: at(150.5), Restored: at(151), Cause: "d3"},
		{Start: at(230)},
		{Start: at(-5)}, // open, but began before the period
	}
	end := day0.Add(10 * 24 * time.Hour)
	d, err := deploy.MeasureDORA(day0, end, deps, incs)
	if err != nil {
		t.Fatalf("MeasureDORA with open incidents: %v", err)
	}
	if d.ChangeFailureRate != 0.5 {
		t.Errorf("change failure rate %v, want 0.5: d2 (open incident) and d3 (restored) failed", d.ChangeFailureRate)
	}
	if d.Incidents != 3 || d.TimeToRestoreMedian != 30*time.Minute {
		t.Errorf("incidents %d, restore median %v; want 3 and 30m from the one restored", d.Incidents, d.TimeToRestoreMedian)
	}
	want := []deploy.OpenIncident{
		{Incident: incs[0], Age: end.Sub(at(100.5))},
		{Incident: incs[2], Age: 10 * time.Hour},
	}
	if len(d.Open) != len(want) || d.Open[0] != want[0] || d.Open[1] != want[1] {
		t.Errorf("open incidents %+v, want %+v", d.Open, want)
	}
	// With none restored, restore time is at least the oldest open one's
	// age: 139.5h places it in "medium", not in "elite".
	d, _ = deploy.MeasureDORA(day0, end, deps, incs[:1])
	if d.TimeToRestoreMedian != 0 || d.Restore != deploy.Medium || len(d.Open) != 1 {
		t.Errorf("only open incidents: restore %v (%v), open %d; want 0 (medium), 1", d.TimeToRestoreMedian, d.Restore, len(d.Open))
	}
	// With no incident at all there is nothing to restore; with no commit
	// times, no lead time.
	d, _ = deploy.MeasureDORA(day0, end, deps, nil)
	if d.Restore != deploy.Elite || d.Open != nil || d.LeadTime != deploy.Unknown {
		t.Errorf("no incidents, no commits: restore %v, open %v, lead time %v; want elite, none, unknown", d.Restore, d.Open, d.LeadTime)
	}
}

func TestDORABadInput(t *testing.T) {
	end := day0.Add(24 * time.Hour)
	cases := []struct {
		start, end time.Time
		deps       []deploy.Deployment
		incs       []deploy.Incident
		want       string
	}{
		{day0, day0, nil, nil, "is empty"},
		{end, day0, nil, nil, "is empty"},
		{day0, end, nil, []deploy.Incident{{Start: at(5), Restored: at(4)}}, "restored at"},
		{day0, end, []deploy.Deployment{{ID: "x", Time: at(2), Commits: []time.Time{at(3)}}}, nil, `deployment 0 ("x")`},
		{day0, end, []deploy.Deployment{{ID: "x", Time: at(2)}, {ID: "y"}}, nil, `deployment 1 ("y") has no Time`},
		{day0, end, nil, []deploy.Incident{{Restored: at(4)}}, "incident 0 has no Start"},
	}
	for _, c := range cases {
		if _, err := deploy.MeasureDORA(c.start, c.end, c.deps, c.incs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MeasureDORA = %v, want %q", err, c.want)
		}
	}
	// No data at all is valid and reads zero.
	d, err := deploy.MeasureDORA(day0, end, nil, nil)
	if err != nil || d.Deployments != 0 || d.ChangeFailureRate != 0 || d.Frequency != deploy.Low {
		t.Errorf("empty data = %+v, %v", d, err)
	}
}

func TestBreachIncidents(t *testing.T) {
	st := func(h float64, remaining float64) slo.TrackerStatus {
		return slo.TrackerStatus{Status: slo.Status{Objective: "api", Remaining: remaining, Total: 1}, At: at(h)}
	}
	got := deploy.BreachIncidents([]slo.TrackerStatus{
		st(0, 0.5), st(1, -0.1), st(2, -0.3), st(3, 0.1), st(4, 0.2), st(5, -0.01),
	})
	if len(got) != 2 || got[0].Start != at(1) || got[0].Restored != at(3) || got[1].Start != at(5) || !got[1].Restored.IsZero() || got[0].Cause != "api" {
		t.Errorf("BreachIncidents = %+v", got)
	}
}

func TestGate(t *testing.T) {
	ok := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", Remaining: 0.4, Total: 100}}
	spent := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", Remaining: -0.2, Total: 100}}
	paging := slo.TrackerStatus{Status: slo.Status{Objective: "search", Remaining: 0.6, Total: 100},
		Tiers: []slo.TierResult{{Tier: slo.DefaultPolicy().Tiers[0], Firing: true, Reason: "burn rate 20 over 1h"}}}
	quiet := slo.TrackerStatus{Status: slo.Status{Objective: "cart", NoData: true, Remaining: 1}}
	fix := deploy.Request{Kind: deploy.Fix, Override: true, By: "alice", Reason: "INC-7"}
	var g deploy.Gate
	tests := []struct {
		name     string
		req      deploy.Request
		statuses []slo.TrackerStatus
		allow    bool
		frozen   bool
		rule     deploy.Rule
		reason   string
	}{
		{"budget left", deploy.Request{}, []slo.TrackerStatus{ok}, true, false, deploy.RuleWithinBudget, "within budget"},
		{"budget spent", deploy.Request{}, []slo.TrackerStatus{ok, spent}, false, true, deploy.RuleBudgetSpent, "checkout: error budget spent: remaining -20.0%"},
		{"page firing", deploy.Request{}, []slo.TrackerStatus{paging}, false, true, deploy.RulePageFiring, "page tier firing: burn rate 20 over 1h"},
		{"spent and paging", deploy.Request{}, []slo.TrackerStatus{paging, spent}, false, true, deploy.RuleBudgetSpent, "page tier firing"},
		{"fix override", fix, []slo.TrackerStatus{spent}, true, true, deploy.RuleOverride, "fix allowed through the freeze by alice: INC-7"},
		{"rollback override", deploy.Request{Kind: deploy.Rollback, Override: true, By: "bob", Reason: "bad cart"}, []slo.TrackerStatus{paging}, true, true, deploy.RuleOverride, "rollback allowed"},
		{"feature override", deploy.Request{Kind: deploy.Feature, Override: true, By: "eve", Reason: "launch"}, []slo.TrackerStatus{spent}, false, true, deploy.RuleBudgetSpent, "a feature cannot override"},
		{"override without reason", deploy.Request{Kind: deploy.Fix, Override: true}, []slo.TrackerStatus{spent}, false, true, deploy.RuleBudgetSpent, "an override needs who lets it through and why"},
		// A tracker lives in one process's memory: right after a restart
		// it reads no data, which cannot say the budget is fine.
		{"quiet night", deploy.Request{}, []slo.TrackerStatus{quiet}, false, true, deploy.RuleNoData, "no SLO data: cannot judge the budget"},
		{"no status", deploy.Request{}, nil, false, true, deploy.RuleNoData, "no SLO status given: cannot judge the budget"},
		{"fix without data", fix, []slo.TrackerStatus{quiet}, true, true, deploy.RuleOverride, "fix allowed through the freeze"},
		{"some data", deploy.Request{}, []slo.TrackerStatus{ok, quiet}, true, false, deploy.RuleWithinBudget, "cart: no data, not judged"},
	}
	for _, tt := range tests {
		d := g.Decide(tt.req, tt.statuses...)
		if d.Allow != tt.allow || d.Frozen != tt.frozen || d.Rule != tt.rule || !strings.Contains(d.String(), tt.reason) {
			t.Errorf("%s: %+v, want allow %v frozen %v rule %v and %q", tt.name, d, tt.allow, tt.frozen, tt.rule, tt.reason)
		}
	}
	open := deploy.Gate{AllowNoData: true}
	for _, statuses := range [][]slo.TrackerStatus{nil, {quiet}} {
		if d := open.Decide(deploy.Request{}, statuses...); !d.Allow || d.Frozen || d.Rule != deploy.RuleNoDataAllowed || !strings.Contains(d.String(), "allowed without judging the budget") {
			t.Errorf("AllowNoData with %d no-data statuses: %+v", len(statuses), d)
		}
	}
	if d := open.Decide(deploy.Request{}, spent, quiet); d.Allow || d.Rule != deploy.RuleBudgetSpent {
		t.Errorf("AllowNoData let a spent budget through: %v", d)
	}
	if d := (deploy.Gate{IgnorePages: true}).Decide(deploy.Request{}, paging); !d.Allow {
		t.Errorf("IgnorePages still froze: %v", d)
	}
	if d := (deploy.Gate{MinRemaining: 0.5}).Decide(deploy.Request{}, ok); d.Allow {
		t.Errorf("MinRemaining 0.5 with 0.4 left allowed: %v", d)
	}
	b, err := json.Marshal(g.Decide(deploy.Request{}, spent))
	if err != nil || !strings.Contains(string(b), `"allow":false,"frozen":true,"rule":"budget-spent","reasons":["checkout: error budget`) {
		t.Errorf("decision as JSON: %s, %v", b, err)
	}
}

// logExporter keeps the log records it is given.
type logExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *logExporter) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		e.records = append(e.records, r.Clone())
	}
	return nil
}
func (e *logExporter) Shutdown(context.Context) error   { return nil }
func (e *logExporter) ForceFlush(context.Context) error { return nil }

func TestOTelSink(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	logs := &logExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(logs)))
	defer lp.Shutdown(context.Background())
	m := marker
	m.Failed = true
	if err := deploy.OTel(deploy.OTelConfig{TracerProvider: tp, LoggerProvider: lp}).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if len(logs.records) != 1 || logs.records[0].EventName() != "deployment" || !logs.records[0].Timestamp().Equal(m.End) ||
		logs.records[0].Body().AsString() != "deploy checkout 1.4.2 to production (failed): new cart" {
		t.Errorf("log records = %+v", logs.records)
	} else {
		found := false
		logs.records[0].WalkAttributes(func(kv attribute.KeyValue) bool {
			found = found || (kv.Key == "deployment.id" && kv.Value.AsString() == "checkout-42")
			return true
		})
		if !found {
			t.Error("log record lacks deployment.id")
		}
	}
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "deploy checkout" || !spans[0].StartTime().Equal(m.Start) || !spans[0].EndTime().Equal(m.End) {
		t.Fatalf("spans = %v", spans)
	}
	got := map[attribute.Key]string{}
	for _, kv := range spans[0].Attributes() {
		got[kv.Key] = kv.Value.String()
	}
	want := map[attribute.Key]string{
		"deployment.id": "checkout-42", "deployment.name": "checkout", "deployment.status": "failed",
		"deployment.environment.name": "production", "service.name": "checkout", "service.version": "1.4.2",
		"vcs.ref.head.revision": "abc123", "vcs.repository.url.full": marker.Repository,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestBuild(t *testing.T) {
	b := deploy.Build()
	if b.GoVersion == "" {
		t.Errorf("Build() = %+v, want at least the Go version", b)
	}
	// Tests build without VCS data (-buildvcs=false or no repository): the
	// revision must then say so plainly.
	if !b.RevisionKnown && (b.Revision != "unknown" || !strings.Contains(b.String(), "revision unknown")) {
		t.Errorf("unknown revision reads %q / %q", b.Revision, b.String())
	}
}

// BenchmarkDORA measures 100,000 deployments and 10,000 incidents.
// "markers" is what a pipeline reads back: every deployment has an ID,
// one in five is announced again by a restarting replica (120,000 entries
// for 100,000 deployments), and one incident in ten is still open and
// names its cause. "plain" is the same data without IDs, duplicates or
// open incidents, as the first release measured it.
func BenchmarkDORA(b *testing.B) {
	for _, markers := range []bool{false, true} {
		name := "plain"
		if markers {
			name = "markers"
		}
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			deps := make([]deploy.Deployment, 0, 120_000)
			for i := range 100_000 {
				ts := day0.Add(time.Duration(i) * 5 * time.Minute)
				dep := deploy.Deployment{Time: ts, Failed: rng.IntN(20) == 0,
					Commits: []time.Time{ts.Add(-time.Duration(rng.IntN(100)+1) * time.Hour), ts.Add(-time.Duration(rng.IntN(10)+1) * time.Minute)}}
				if markers {
					dep.ID = deploy.ID("checkout", "production", fmt.Sprint(i), "")
					if i%5 == 0 {
						restart := dep
						restart.Time = ts.Add(time.Duration(rng.IntN(30)+1) * time.Minute)
						restart.Failed = false
						deps = append(deps, restart)
					}
				}
				deps = append(deps, dep)
			}
			incs := make([]deploy.Incident, 10_000)
			for i := range incs {
				s := day0.Add(time.Duration(i) * 50 * time.Minute)
				incs[i] = deploy.Incident{Start: s, Restored: s.Add(time.Duration(rng.IntN(300)+1) * time.Minute)}
				if markers && i%10 == 0 {
					incs[i].Restored = time.Time{}
					incs[i].Cause = deploy.ID("checkout", "production", fmt.Sprint(i*10), "")
				}
			}
			end := day0.Add(100_000 * 5 * time.Minute)
			b.ReportAllocs()
			for b.Loop() {
				d, err := deploy.MeasureDORA(day0, end, deps, incs)
				if err != nil || d.Deployments != 100_000 {
					b.Fatal(d.Deployments, err)
				}
			}
		})
	}
}
