package incident_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/incident"
	"github.com/ybiyri/runkit/internal/browsertest"
	"github.com/ybiyri/runkit/internal/htmlpage"
	"github.com/ybiyri/runkit/internal/htmltest"
)

// fleetNight is the hour of incidentHour seen across two services:
// checkout deploys and its page fires; quotes, which checkout calls,
// deploys too and its breaker opens; the incident record of checkout's
// page, attributed to the deploy.
func fleetNight(t testing.TB) incident.Timeline {
	t.Helper()
	end := time.Date(2026, 12, 3, 3, 30, 0, 0, time.UTC)
	at := func(m float64) time.Time { return end.Add(-time.Hour + time.Duration(m*float64(time.Minute))) }
	checkout := deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2", Revision: "9f2c1e7", Start: at(2)}
	quotes := deploy.Marker{Service: "quotes", Environment: "production", Version: "7.1.0", Start: at(9)}
	restored := at(52)
	rec := incident.Record{ID: "checkout-availability-20261203T025100Z", Title: "SLO availability burns its error budget", Start: at(21), Restored: &restored,
		Cause: checkout.Deployment().ID, Severity: "page", SLO: "availability", Service: "checkout", Environment: "production"}
	events := []incident.Event{
		incident.MarkerEvent(checkout), incident.MarkerEvent(quotes),
		{Seq: 1, Time: at(14), Service: "quotes", Kind: incident.Health, Name: incident.HealthProbe, Subject: "readiness", From: "pass", To: "fail", Cause: "check database fail"},
		{Seq: 2, Time: at(15), Service: "checkout", Kind: incident.Breaker, Name: incident.BreakerState, Subject: "quotes.internal:443", From: "closed", To: "open", Cause: "failure ratio"},
		{Seq: 3, Time: at(15.1), Service: "checkout", Kind: incident.Process, Name: incident.ProcessSnapshot, Subject: "20261203T024500.000Z-breaker-open", To: "written", Cause: "breaker-open"},
		{Seq: 4, Time: at(20), Service: "checkout", Kind: incident.SLO, Name: incident.SLOTier, Subject: "availability page 1h/5m", From: "ok", To: "firing", Severity: "page"},
		{Seq: 5, Time: at(44), Service: "quotes", Kind: incident.Health, Name: incident.HealthProbe, Subject: "readiness", From: "fail", To: "pass"},
		{Seq: 6, Time: at(46), Service: "checkout", Kind: incident.Breaker, Name: incident.BreakerState, Subject: "quotes.internal:443", From: "open", To: "closed", Cause: "probes succeeded"},
		{Seq: 7, Time: at(51), Service: "checkout", Kind: incident.SLO, Name: incident.SLOTier, Subject: "availability page 1h/5m", From: "firing", To: "ok", Severity: "page"},
	}
	events = append(events, rec.Events()...)
	return incident.Timeline{Title: "checkout and quotes", Since: end.Add(-time.Hour), Until: end, Events: events}
}

func TestTimelineMerged(t *testing.T) {
	tl := fleetNight(t)
	sorted := tl.Sorted()
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Time.Before(sorted[i-1].Time) {
			t.Fatalf("Sorted: %v before %v", sorted[i-1], sorted[i])
		}
	}
	if got, want := tl.Services(), []string{"checkout", "quotes"}; !cmp.Equal(got, want) {
		t.Errorf("Services() = %v, want %v", got, want)
	}
	tl.Events = append(tl.Events, incident.Event{Time: tl.Since, Kind: incident.Process, Name: "process.other"})
	if got, want := tl.Services(), []string{"checkout", "quotes", incident.NoService}; !cmp.Equal(got, want) {
		t.Errorf("with an event of no service, Services() = %v, want %v", got, want)
	}
	var b strings.Builder
	if err := tl.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	doc := htmltest.WellFormed(t, page)
	htmltest.SelfContained(t, doc, page)
	if lanes := htmltest.Find(doc, htmltest.WithClass("section", "lane")); len(lanes) != 3 {
		t.Errorf("%d lanes, want one a service", len(lanes))
	}
	if rows := htmltest.Find(doc, htmltest.Tag("tr")); len(rows) != 1+len(tl.Events) {
		t.Errorf("%d table rows, want a header and %d events", len(rows), len(tl.Events))
	}
	for _, want := range []string{"3 services, each on its own clock.", "<th scope=\"col\">Service</th>", "incident checkout-availability-20261203T025100Z", "attributed to checkout-"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Outside the range, left out; none at all, the empty page.
	tl.Since = tl.Until.Add(-5 * time.Minute)
	if n := len(tl.Sorted()); n != 0 {
		t.Errorf("Sorted in the last 5 minutes: %d events, want none", n)
	}
	var empty bytes.Buffer
	if err := (incident.Timeline{}).WriteHTML(&empty); err != nil || !strings.Contains(empty.String(), "No events in this range.") {
		t.Errorf("empty timeline: %v, lacks its no-events line", err)
	}
}

// In chromium: a lane per service, each holding only its own service's
// rows, the deploys of both services crossing every track, the incident
// drawn as a bar in checkout's lane.
func TestTimelineMergedInBrowser(t *testing.T) {
	tl := fleetNight(t)
	var page bytes.Buffer
	if err := tl.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", htmlpage.CSP)
		w.Write(page.Bytes())
	}))
	defer srv.Close()
	browser := browsertest.Start(t)
	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"desktop", browsertest.Desktop}, {"phone", browsertest.Phone}} {
		t.Run(v.name, func(t *testing.T) {
			tab := browsertest.Open(t, browser, srv.URL, v.vp)
			tab.RequireClean(t, srv.URL)
			lanes := browsertest.Eval[[]string](t, tab, `[...document.querySelectorAll("section.lane")].map(l => l.querySelector("h2").textContent + ": " + [...l.querySelectorAll(".row .label")].map(r => r.textContent).join(", "))`)
			want := []string{
				"checkout: deployments, breaker quotes.internal:443, process snapshots, slo availability page 1h/5m, slo incident checkout-availability-20261203T025100Z",
				"quotes: deployments, readiness",
			}
			if diff := cmp.Diff(want, lanes); diff != "" {
				t.Errorf("lanes (-want +got):\n%s", diff)
			}
			deploys := browsertest.Eval[int](t, tab, `document.querySelectorAll("line.deploy").length`)
			tracks := browsertest.Eval[int](t, tab, `document.querySelectorAll("svg.track").length`)
			if deploys != 2*tracks {
				t.Errorf("%d deploy lines over %d tracks, want both services' deploys across every track", deploys, tracks)
			}
			if n := browsertest.Eval[int](t, tab, `document.querySelectorAll("#lane-checkout rect.bad").length`); n != 3 {
				t.Errorf("%d bars in checkout's lane, want the open breaker, the firing page and the incident", n)
			}
			services := browsertest.Eval[[]string](t, tab, `[...document.querySelectorAll("table.events tbody tr")].map(r => r.cells[2].textContent)`)
			if len(services) != len(tl.Events) || services[0] != "checkout" || services[1] != "quotes" {
				t.Errorf("service column %v", services)
			}
			requireFits(t, tab)
			tab.Screenshot(t, "incident-fleet-timeline-"+v.name)
			tab.FullPage(t, "incident-fleet-timeline-"+v.name+"-full")
		})
	}
}

// A marker recorded by a service's journal and read from the markers
// file, and the markers of two replicas, are one deployment.
func TestTimelineFoldsMarkers(t *testing.T) {
	m := deploy.Marker{Service: "checkout", Environment: "production", Version: "1.4.2", Start: t0}
	fromFile := incident.MarkerEvent(m)
	fromJournal := fromFile
	fromJournal.Seq, fromJournal.Time, fromJournal.Instance = 3, t0.Add(5*time.Millisecond), "checkout-1"
	replica := fromJournal
	replica.Time, replica.Instance = t0.Add(time.Minute), "checkout-2"
	other := incident.MarkerEvent(deploy.Marker{Service: "quotes", Version: "7", Start: t0})
	got := incident.Timeline{Events: []incident.Event{replica, fromJournal, other, fromFile}}.Sorted()
	if len(got) != 2 || got[0] != other || got[1] != fromFile { // at one time, in the order given
		t.Errorf("Sorted() = %v, want the file's marker of checkout and the one of quotes", got)
	}
}
