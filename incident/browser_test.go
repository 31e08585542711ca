package incident_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/internal/browsertest"
	"github.com/ybiyri/runkit/internal/htmlpage"
	"github.com/ybiyri/runkit/internal/htmltest"
)

// incidentHour is an hour of a bad night on a journal whose clock stands
// at its end: a deploy, a check failing and readiness warning, a breaker
// opening and probing, the page tier firing, a snapshot, recovery.
func incidentHour(t testing.TB) (*incident.Journal, time.Time) {
	t.Helper()
	end := time.Date(2026, 12, 3, 3, 30, 0, 0, time.UTC)
	j := newJournal(t, incident.Config{Now: func() time.Time { return end }})
	at := func(m float64) time.Time { return end.Add(-time.Hour + time.Duration(m*float64(time.Minute))) }
	ctx := context.Background()
	for _, e := range []incident.Event{
		{Time: at(2), Name: incident.DeployStart, Subject: "checkout-prod-1.4.2", To: "1.4.2", Cause: "revision 9f2c1e7"},
		{Time: at(2.1), Name: incident.DeployMarker, Subject: "checkout-prod-1.4.2", To: "1.4.2", Cause: "revision 9f2c1e7"},
		{Time: at(14), Name: incident.HealthCheck, Subject: "inventory", From: "pass", To: "fail", Cause: "inventory: connection reset by peer"},
		{Time: at(14), Name: incident.HealthProbe, Subject: "readiness", From: "pass", To: "warn", Cause: "check inventory fail"},
		{Time: at(15), Name: incident.BreakerState, Subject: "quotes.internal:443", From: "closed", To: "open", Cause: "failure ratio"},
		{Time: at(15.1), Name: incident.ProcessSnapshot, Subject: "20261203T024500.000Z-breaker-open", To: "written", Cause: "breaker-open"},
		{Time: at(15.5), Name: incident.BreakerState, Subject: "quotes.internal:443", From: "open", To: "half-open", Cause: "open period ended"},
		{Time: at(15.6), Name: incident.BreakerState, Subject: "quotes.internal:443", From: "half-open", To: "open", Cause: "probe failed"},
		{Time: at(21), Name: incident.SLOTier, Subject: "checkout-availability page 1h/5m", From: "ok", To: "firing", Severity: "page", Cause: "burn rate 20 over 1h and 31 over 5m both exceed 14.4"},
		{Time: at(22), Name: incident.BreakerState, Subject: "<script>alert(1)</script>", From: "closed", To: "open", Cause: "consecutive failures", Count: 37},
		{Time: at(40), Name: incident.SLOBudget, Subject: "checkout-availability", From: "over 50%", To: "50% or less", Cause: "49.90% of the budget remains"},
		{Time: at(44), Name: incident.HealthCheck, Subject: "inventory", From: "fail", To: "pass"},
		{Time: at(44), Name: incident.HealthProbe, Subject: "readiness", From: "warn", To: "pass", Cause: "check inventory pass"},
		{Time: at(46), Name: incident.BreakerState, Subject: "quotes.internal:443", From: "open", To: "half-open", Cause: "open period ended"},
		{Time: at(46.1), Name: incident.BreakerState, Subject: "quotes.internal:443", From: "half-open", To: "closed", Cause: "probes succeeded"},
		{Time: at(52), Name: incident.SLOTier, Subject: "checkout-availability page 1h/5m", From: "firing", To: "ok", Severity: "page", Cause: "the short window is back under"},
	} {
		j.Record(ctx, e)
	}
	return j, end
}

// The timeline page is well formed, self-contained and shows every event
// of the range in its table.
func TestTimelinePage(t *testing.T) {
	j, _ := incidentHour(t)
	var b strings.Builder
	if err := j.WriteHTML(&b, incident.Filter{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	doc := htmltest.WellFormed(t, page)
	htmltest.SelfContained(t, doc, page)
	rows := htmltest.Find(doc, htmltest.Tag("tr"))
	if len(rows) != 17 {
		t.Errorf("%d table rows, want a header and 16 events", len(rows))
	}
	if lanes := htmltest.Find(doc, htmltest.WithClass("section", "lane")); len(lanes) != len(incident.Kinds) {
		t.Errorf("%d lanes, want %d", len(lanes), len(incident.Kinds))
	}
	srv := httptest.NewServer(j)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/events", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("Content-Security-Policy") != htmlpage.CSP || h.Get("Vary") != "Accept" {
		t.Errorf("GET /events from a browser: %d, headers %v", resp.StatusCode, h)
	}
	req.Method = http.MethodHead
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 || resp.ContentLength <= 0 {
		t.Errorf("HEAD /events from a browser: %v %v", resp, err)
	}
	var empty strings.Builder
	if err := newJournal(t, incident.Config{}).WriteHTML(&empty, incident.Filter{}); err != nil || !strings.Contains(empty.String(), "No events in this range.") {
		t.Errorf("empty journal's page: %v, lacks its no-events line", err)
	}
}

// In chromium, the timeline loads nothing from elsewhere, logs no error,
// draws the breaker's open spells, the firing tier and the deploy, and its
// table holds exactly the events /events serves as JSON.
func TestTimelineInBrowser(t *testing.T) {
	j, _ := incidentHour(t)
	mux := http.NewServeMux()
	mux.Handle("GET /events", j)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	browser := browsertest.Start(t)

	want := getEvents(t, http.DefaultClient, srv.URL+"/events")
	var wantRows [][]string
	for _, e := range want {
		wantRows = append(wantRows, []string{
			itoa(e.Seq), e.Time.UTC().Format("2006-01-02 15:04:05.000"), string(e.Kind), e.Name, e.Subject + sev(e.Severity), changeOf(e), e.Cause, countOf(e.Count),
		})
	}

	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"desktop", browsertest.Desktop}, {"phone", browsertest.Phone}} {
		t.Run(v.name, func(t *testing.T) {
			tab := browsertest.Open(t, browser, srv.URL+"/events", v.vp)
			tab.RequireClean(t, srv.URL)
			rows := browsertest.Eval[[][]string](t, tab, `[...document.querySelectorAll("table.events tbody tr")].map(r => [...r.cells].map(c => c.textContent))`)
			if diff := cmp.Diff(wantRows, rows); diff != "" {
				t.Errorf("table differs from /events' JSON (-json +page):\n%s", diff)
			}
			bars := browsertest.Eval[[]string](t, tab, `[...document.querySelectorAll("#lane-breaker rect")].map(r => r.getAttribute("class") + " " + r.querySelector("title").textContent.split(" ").slice(3).join(" "))`)
			wantBars := []string{
				"bad breaker.state quotes.internal:443: closed → open (failure ratio)",
				"warn breaker.state quotes.internal:443: open → half-open (open period ended)",
				"bad breaker.state quotes.internal:443: half-open → open (probe failed)",
				"warn breaker.state quotes.internal:443: open → half-open (open period ended)",
				"bad breaker.state <script>alert(1)</script>: closed → open (consecutive failures) ×37 (still)",
			}
			if diff := cmp.Diff(wantBars, bars); diff != "" {
				t.Errorf("breaker bars (-want +got):\n%s", diff)
			}
			if n := browsertest.Eval[int](t, tab, `document.querySelectorAll("#lane-slo rect.bad").length`); n != 1 {
				t.Errorf("%d page-tier bars, want 1", n)
			}
			// The deploy's line crosses every row of every lane.
			deploys := browsertest.Eval[int](t, tab, `document.querySelectorAll("line.deploy").length`)
			tracks := browsertest.Eval[int](t, tab, `document.querySelectorAll("svg.track").length`)
			if deploys != 2*tracks {
				t.Errorf("%d deploy lines over %d tracks, want two a track", deploys, tracks)
			}
			if n := browsertest.Eval[int](t, tab, `document.querySelectorAll("script").length`); n != 0 {
				t.Errorf("%d script elements: a subject was not escaped", n)
			}
			requireFits(t, tab)
			tab.Screenshot(t, "incident-timeline-"+v.name)
			tab.FullPage(t, "incident-timeline-"+v.name+"-full")
		})
	}
}

// requireFits fails when the page is wider than the window.
func requireFits(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	if w := browsertest.Eval[[]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("page is %dpx wide in a %dpx window", w[0], w[1])
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func sev(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

func changeOf(e incident.Event) string {
	switch {
	case e.From != "" && e.To != "":
		return e.From + " → " + e.To
	case e.To != "":
		return "→ " + e.To
	case e.From != "":
		return e.From + " →"
	}
	return ""
}

func countOf(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// A journal younger than an hour draws its axis from its oldest event
// (five minutes at least), so a process that started minutes ago does
// not crowd its events into the page's right edge; an older one shows
// the last hour.
func TestTimelineSpanOfAYoungJournal(t *testing.T) {
	now := time.Date(2026, 12, 3, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		age  time.Duration
		want string
	}{
		{0, "(1h)"}, // no events: the default
		{2 * time.Minute, "From 2026-12-03 02:55 UTC to 2026-12-03 03:00 UTC (5m)"},
		{20 * time.Minute, "From 2026-12-03 02:40 UTC to 2026-12-03 03:00 UTC (20m)"},
		{3 * time.Hour, "From 2026-12-03 02:00 UTC to 2026-12-03 03:00 UTC (1h)"},
	} {
		j := newJournal(t, incident.Config{Now: func() time.Time { return now }})
		if c.age > 0 {
			j.Record(t.Context(), incident.Event{Time: now.Add(-c.age), Name: incident.DeployStart, Subject: "checkout", To: "1.4.2"})
		}
		var b strings.Builder
		if err := j.WriteHTML(&b, incident.Filter{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("journal with an event %v old: page lacks %q", c.age, c.want)
		}
	}
}
