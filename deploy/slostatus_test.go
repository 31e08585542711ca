package deploy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "time/tzdata" // the calendar window's zone, on any machine

	"github.com/google/go-cmp/cmp"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

// trackers returns three trackers on one clock, as a service would run
// them: one within budget, one spent and paging, one that has seen
// nothing. They started 30 days before now, so they have observed their
// whole windows.
func trackers(t *testing.T) (now time.Time, within, spent, quiet *slo.Tracker) {
	now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	made := false
	clock := func() time.Time {
		if !made {
			return now.Add(-30 * 24 * time.Hour)
		}
		return now
	}
	mk := func(name string) *slo.Tracker {
		o := slo.Objective{Name: name, Target: 0.99, Window: slo.Rolling(30 * 24 * time.Hour)}
		tr, err := slo.NewTracker(o, slo.TrackerConfig{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	within, spent = mk("checkout"), mk("search")
	// A calendar month in a zone, with a target for which the default
	// policy leaves tiers out: every field of the report is exercised.
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	quiet, err = slo.NewTracker(slo.Objective{Name: "cart", Target: 0.9, Window: slo.CalendarWindow(slo.Month, kolkata)}, slo.TrackerConfig{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	made = true
	for m := range 120 {
		at := now.Add(-time.Duration(m) * time.Minute)
		within.RecordNAt(at, 1000, 1)
		spent.RecordNAt(at, 500, 500)
	}
	return now, within, spent, quiet
}

func TestGateReadsTrackerHandlerJSON(t *testing.T) {
	_, within, spent, quiet := trackers(t)
	for _, tr := range []*slo.Tracker{within, spent, quiet} {
		srv := httptest.NewServer(tr.Handler())
		got, err := deploy.FetchSLOStatus(t.Context(), nil, srv.URL+"/slo")
		srv.Close()
		if err != nil || len(got) != 1 {
			t.Fatalf("FetchSLOStatus = %d statuses, %v", len(got), err)
		}
		want := tr.Status()
		g := got[0]
		if g.Objective != want.Objective || g.Target != want.Target || g.Good != want.Good || g.Total != want.Total ||
			g.NoData != want.NoData || g.Remaining != want.Remaining || g.Consumed != want.Consumed || g.BurnRate != want.BurnRate ||
			g.SLI != want.SLI || g.ErrorRate != want.ErrorRate || g.Budget != want.Budget || g.Method != want.Method ||
			!g.At.Equal(want.At) || g.Window != want.Window || g.Period.String() != want.Period.String() || !g.Start.Equal(want.Start) || !g.End.Equal(want.End) ||
			g.Dropped != want.Dropped || g.Future != want.Future || len(g.Tiers) != len(want.Tiers) || len(g.OmittedTiers) != len(want.OmittedTiers) ||
			g.RecentBurnRate != want.RecentBurnRate || g.RecentWindow != want.RecentWindow ||
			g.Observed != want.Observed || g.ObservedShare != want.ObservedShare {
			t.Errorf("%s: read back as\n%+v\nwant\n%+v", want.Objective, g, want)
		}
		if (want.ExhaustsIn == slo.Forever) != (g.ExhaustsIn == slo.Forever) || (want.ExhaustsIn-g.ExhaustsIn).Abs() > time.Second {
			t.Errorf("%s: ExhaustsIn %v, want %v", want.Objective, g.ExhaustsIn, want.ExhaustsIn)
		}
		for i := range g.OmittedTiers {
			gt, wt := g.OmittedTiers[i], want.OmittedTiers[i]
			if gt.Reason != wt.Reason || gt.Tier.Severity != wt.Tier.Severity || gt.Tier.Long != wt.Tier.Long || gt.Tier.ShortWindow() != wt.Tier.ShortWindow() {
				t.Errorf("%s omitted tier %d: %+v, want %+v", want.Objective, i, gt, wt)
			}
		}
		for i := range g.Tiers {
			gt, wt := g.Tiers[i], want.Tiers[i]
			if gt.Firing != wt.Firing || gt.Reason != wt.Reason || gt.Threshold != wt.Threshold || gt.LongBurn != wt.LongBurn ||
				gt.ShortBurn != wt.ShortBurn || gt.Tier.Severity != wt.Tier.Severity || gt.Tier.Long != wt.Tier.Long || gt.Tier.ShortWindow() != wt.Tier.ShortWindow() {
				t.Errorf("%s tier %d: %+v, want %+v", want.Objective, i, gt, wt)
			}
		}
		// The gate decides the same on the JSON as on the tracker.
		for _, req := range []deploy.Request{{}, {Kind: deploy.Fix, Override: true, By: "alice", Reason: "INC-7"}} {
			if a, b := (deploy.Gate{}).Decide(req, got...), (deploy.Gate{}).Decide(req, want); !reflect.DeepEqual(a, b) {
				t.Errorf("%s: decision on the JSON %v, on the tracker %v", want.Objective, a, b)
			}
		}
	}
}

// sameWindow compares windows by what they say: a zone read back is the
// same zone, not the same *time.Location.
var sameWindow = cmp.Comparer(func(a, b slo.Window) bool {
	return a.Rolling == b.Rolling && a.Calendar == b.Calendar && a.String() == b.String()
})

// TestFetchSLOStatusIsTheTrackersStatus: what the gate reads from /slo is
// the tracker's status, every field of it: a tier's BudgetShare,
// AllowedBad and ExhaustsIn to the nanosecond included.
func TestFetchSLOStatusIsTheTrackersStatus(t *testing.T) {
	_, within, spent, quiet := trackers(t)
	for _, tr := range []*slo.Tracker{within, spent, quiet} {
		srv := httptest.NewServer(tr.Handler())
		got, err := deploy.FetchSLOStatus(t.Context(), nil, srv.URL+"/slo")
		srv.Close()
		if err != nil || len(got) != 1 {
			t.Fatalf("FetchSLOStatus = %d statuses, %v", len(got), err)
		}
		if d := cmp.Diff(tr.Status(), got[0], sameWindow); d != "" {
			t.Errorf("%s read back (-tracker +read):\n%s", got[0].Objective, d)
		}
	}
}

func TestReadSLOStatusForms(t *testing.T) {
	_, within, spent, quiet := trackers(t)
	body := func(tr *slo.Tracker) string {
		rec := httptest.NewRecorder()
		tr.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/slo", nil))
		return rec.Body.String()
	}
	// One report; several in a row (the /slo of several services); an
	// array of them.
	for _, in := range []string{
		body(within) + body(spent) + body(quiet),
		"[" + body(within) + "," + body(spent) + "," + body(quiet) + "]",
		body(within) + "[" + body(spent) + "]\n" + body(quiet),
	} {
		got, err := deploy.ReadSLOStatus(strings.NewReader(in))
		if err != nil || len(got) != 3 || got[0].Objective != "checkout" || got[1].Objective != "search" || !got[2].NoData {
			t.Fatalf("ReadSLOStatus = %+v, %v", got, err)
		}
		d := deploy.Gate{}.Decide(deploy.Request{}, got...)
		if d.Allow || d.Rule != deploy.RuleBudgetSpent || !strings.Contains(d.String(), "search: page tier firing") || !strings.Contains(d.String(), "cart: no data") {
			t.Errorf("gate on three services: %v", d)
		}
	}
	if got, err := deploy.ReadSLOStatus(strings.NewReader("[]")); err != nil || len(got) != 0 {
		t.Errorf(`ReadSLOStatus("[]") = %v, %v; want no status and no error`, got, err)
	}
}

func TestReadSLOStatusErrors(t *testing.T) {
	ok := `{"objective":"checkout","noData":false,"budgetRemaining":0.5,"tiers":[]}`
	tests := []struct{ in, want string }{
		{"", "no SLO status in the input"},
		{"  \n", "no SLO status in the input"},
		{"<html>502 Bad Gateway</html>", "SLO status 1: invalid character '<'"},
		{`"checkout"`, "SLO status 1 is not a JSON object"},
		{`{"noData":false,"budgetRemaining":0.5}`, `SLO status 1: field "objective" is missing`},
		{ok + `{"objective":"x","noData":false}`, `SLO status 2: field "budgetRemaining" is missing`},
		{`{"objective":"x","budgetRemaining":1}`, `SLO status 1: field "noData" is missing`},
		{`{"objective":"x","noData":false,"budgetRemaining":"lots"}`, `SLO status 1: json: cannot unmarshal string into Go struct field Report.budgetRemaining`},
		{`[` + ok + `,{"objective":"x","noData":false,"budgetRemaining":1,"tiers":[{"firing":true}]}]`, `SLO status 2: tier 0: field "severity" is missing`},
		{`{"objective":"x","noData":false,"budgetRemaining":1,"tiers":[{"severity":"page"}]}`, `SLO status 1: tier 0: field "firing" is missing`},
		{`{"objective":"x","noData":false,"budgetRemaining":1,"method":"weekly"}`, `SLO status 1: method "weekly"`},
		{ok + `{"objective":`, "SLO status 2: unexpected EOF"},
	}
	for _, tt := range tests {
		_, err := deploy.ReadSLOStatus(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadSLOStatus(%.50q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestFetchSLOStatusErrors(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	for _, tt := range []struct{ url, want string }{
		{down.URL + "/slo/PATHSECRET?token=QUERYSECRET", "GET " + down.URL + "/[redacted]?[redacted]: 503 Service Unavailable"},
		{"http://leakuser:leakpass@127.0.0.1:1/slo", "connection refused"},
		{"checkout.internal/slo?token=QUERYSECRET", `SLO status URL "checkout.internal/slo?[redacted]" is not an http or https URL`},
	} {
		_, err := deploy.FetchSLOStatus(t.Context(), nil, tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FetchSLOStatus(%s) = %v, want %q", deploy.RedactURL(tt.url), err, tt.want)
		}
		for _, s := range urlSecrets {
			if err != nil && strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), s) {
				t.Errorf("FetchSLOStatus error shows %s: %v", s, err)
			}
		}
	}
}

func FuzzReadSLOStatus(f *testing.F) {
	f.Add(`{"objective":"checkout","noData":false,"budgetRemaining":0.5,"tiers":[{"severity":"page","firing":true,"long":"1h","short":"5m"}]}`)
	f.Add(`[{"objective":"a","noData":true,"budgetRemaining":1}]{"objective":"b","noData":false,"budgetRemaining":-1,"exhaustsInSeconds":3600,"window":"30d","at":"2026-11-26T12:00:00Z"}`)
	f.Add(`[]`)
	f.Add(`{"objective":"c","noData":false,"budgetRemaining":0.99,"window":"28d","observedSeconds":3600,"observedShare":0.001488}`)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := deploy.ReadSLOStatus(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, s := range got {
			if s.Objective == "" {
				t.Errorf("ReadSLOStatus(%q) returned a status with no objective", in)
			}
			if !(s.ObservedShare > 0 && s.ObservedShare <= 1) {
				t.Errorf("ReadSLOStatus(%q) returned ObservedShare %v", in, s.ObservedShare)
			}
		}
		// Whatever it reads, the gate decides on without a panic.
		deploy.Gate{}.Decide(deploy.Request{}, got...)
	})
}

// A login page or a proxy's error page in place of /slo: the error says
// what came back.
func TestFetchSLOStatusHTML(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>Sign in</title>")
	}))
	defer srv.Close()
	_, err := deploy.FetchSLOStatus(t.Context(), nil, srv.URL+"/slo")
	if err == nil || !strings.Contains(err.Error(), "answered text/html, not the /slo JSON") {
		t.Errorf("FetchSLOStatus(HTML page) = %v, want it to say it got text/html", err)
	}
}

// TestGateAfterRestart: a service at 99.5% over 28 days restarts halfway
// through its window and serves 200 requests in the next hour, 2 of them
// bad. Its /slo says it observed 1h of the window, and the gate, reading
// it as a pipeline does, lets the deploy through: 2 bad events are 0.3% of
// the budget of the 134,400 requests the window would hold at that rate,
// and no burn-rate tier fires. Judged on the 200 requests alone, they
// would be twice the budget and freeze every deploy after a restart.
func TestGateAfterRestart(t *testing.T) {
	restart := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	now := restart
	o := slo.Objective{Name: "checkout", Target: 0.995, Window: slo.Rolling(28 * 24 * time.Hour)}
	tr, err := slo.NewTracker(o, slo.TrackerConfig{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		tr.RecordAt(restart.Add(time.Duration(i)*18*time.Second), i != 50 && i != 150)
	}
	now = restart.Add(time.Hour - time.Second)
	srv := httptest.NewServer(tr.Handler())
	defer srv.Close()
	got, err := deploy.FetchSLOStatus(t.Context(), nil, srv.URL+"/slo")
	if err != nil || len(got) != 1 {
		t.Fatalf("FetchSLOStatus = %v, %v", got, err)
	}
	if s := got[0]; s.Observed != time.Hour || s.ObservedShare != 1.0/672 || s.Remaining <= 0.99 {
		t.Errorf("read back: observed %v (%v), remaining %v", s.Observed, s.ObservedShare, s.Remaining)
	}
	d := deploy.Gate{}.Decide(deploy.Request{}, got...)
	want := deploy.Decision{Allow: true, Rule: deploy.RuleWithinBudget, Reasons: []string{
		"checkout: 1h of the 28d window observed (0.15%), since the service started: its budget is judged against the events the whole window would hold at the observed rate",
		"1 objective(s) within budget and no page firing",
	}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("decision:\n%v\nwant\n%v", d, want)
	}
	// A status made by hand says nothing of what was observed, and is
	// judged as it stands.
	hand := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", Total: 200, Good: 198, Remaining: -1}}
	if d := (deploy.Gate{}).Decide(deploy.Request{}, hand); d.Rule != deploy.RuleBudgetSpent || strings.Contains(d.String(), "observed") {
		t.Errorf("status without ObservedShare: %v", d)
	}
	// Still fails closed on no data: the same restart before any request.
	quiet, _ := slo.NewTracker(o, slo.TrackerConfig{Now: func() time.Time { return restart }})
	if d := (deploy.Gate{}).Decide(deploy.Request{}, quiet.Status()); d.Allow || d.Rule != deploy.RuleNoData {
		t.Errorf("no data after a restart: %v", d)
	}
}

// A report of an older runkit, without observedShare, reads as a window
// observed whole; one whose observedShare is out of range is refused.
func TestReadSLOStatusObserved(t *testing.T) {
	old := `{"objective":"checkout","target":0.99,"window":"30d","noData":false,"budgetRemaining":-1}`
	got, err := deploy.ReadSLOStatus(strings.NewReader(old))
	if err != nil || got[0].ObservedShare != 1 || got[0].Observed != 30*24*time.Hour {
		t.Errorf("older report: %+v, %v", got, err)
	}
	for _, share := range []string{"0", "-0.5", "1.5"} {
		in := strings.Replace(old, "{", `{"observedShare":`+share+`,"observedSeconds":60,`, 1)
		if _, err := deploy.ReadSLOStatus(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), `"observedShare" `+share) {
			t.Errorf("observedShare %s: %v", share, err)
		}
	}
}

// The gate reads the /slo of per-route objectives (slo.Routes) as it
// serves them, and names the route that freezes deploys.
func TestGateReadsRoutes(t *testing.T) {
	// The service started 30 days ago: the routes' trackers have
	// observed their whole window.
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Add(-30 * 24 * time.Hour)
	clock := func() time.Time { return now }
	rs, err := slo.NewRoutes(slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(30 * 24 * time.Hour)},
		slo.RoutesConfig{Tracker: slo.TrackerConfig{Now: clock}})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * 24 * time.Hour)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /checkout", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	mux.Handle("GET /slo", rs.Handler())
	srv := httptest.NewServer(rs.Middleware(slo.MiddlewareConfig{})(mux))
	defer srv.Close()
	for range 5 {
		for _, m := range []string{"GET", "POST"} {
			path := map[string]string{"GET": "/hello", "POST": "/checkout"}[m]
			req, _ := http.NewRequest(m, srv.URL+path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	got, err := deploy.FetchSLOStatus(t.Context(), nil, srv.URL+"/slo")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Route != "POST /checkout" {
		t.Fatalf("statuses = %d, first route %q; want 3, POST /checkout first", len(got), got[0].Route)
	}
	d := deploy.Gate{}.Decide(deploy.Request{}, got...)
	if !d.Frozen || !strings.Contains(strings.Join(d.Reasons, "\n"), "api POST /checkout: error budget spent") {
		t.Errorf("Decide = %+v, want frozen by api POST /checkout", d)
	}
	// Each route's status reads back whole.
	for _, g := range got {
		tr, ok := rs.Tracker(g.Route)
		if !ok {
			t.Fatalf("no tracker for route %q", g.Route)
		}
		if diff := cmp.Diff(tr.Status(), g, sameWindow); diff != "" {
			t.Errorf("route %s read back (-tracker +read):\n%s", g.Route, diff)
		}
	}
}
