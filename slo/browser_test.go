package slo_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/internal/browsertest"
	"github.com/ybiyri/runkit/slo"
)

// burningTracker is a 30-day, one-minute tracker with 20 days of traffic:
// a bad minute now and then, and in the last 50 minutes 4% of requests
// failing, which fires the 1h page tier. Its clock stands at the end.
func burningTracker(t testing.TB, name string) (*slo.Tracker, time.Time) {
	t.Helper()
	now := t0.Add(20*day - time.Second)
	o := slo.Objective{Name: name, Target: 0.999, Window: slo.Rolling(30 * day)}
	tr := newTracker(t, o, slo.TrackerConfig{Now: func() time.Time { return now }})
	for m := range 20 * 24 * 60 {
		bad := int64(0)
		switch {
		case m >= 20*24*60-50:
			bad = 40
		case m%97 == 0:
			bad = 30
		}
		if err := tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 1000, bad); err != nil {
			t.Fatal(err)
		}
	}
	return tr, now
}

// TestDashboardInBrowser loads the pages in chromium: the single tracker's
// page that Tracker.Handler serves a browser, and a dashboard of three.
func TestDashboardInBrowser(t *testing.T) {
	checkout, now := burningTracker(t, "checkout")
	search := newTracker(t, slo.Objective{Name: "search", Target: 0.99, Window: slo.Rolling(7 * day)},
		slo.TrackerConfig{Now: func() time.Time { return now }})
	hostile := newTracker(t, slo.Objective{Name: "<script>alert(1)</script>", Target: 0.99, Window: slo.Rolling(day)},
		slo.TrackerConfig{Now: func() time.Time { return now }})
	hostile.RecordNAt(now.Add(-time.Hour), 100, 1)
	all, err := slo.NewDashboard(slo.DashboardConfig{}, checkout, search, hostile)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /slo", checkout.Handler())
	mux.Handle("GET /all", all)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	browser := browsertest.Start(t)
	status := checkout.Status()
	bd := checkout.BurnDown(slo.DashboardPoints)
	want := fmt.Sprintf("%.2f%%", 100*status.Remaining)

	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"desktop", browsertest.Desktop}, {"phone", browsertest.Phone}} {
		t.Run("slo-"+v.name, func(t *testing.T) {
			tab := browsertest.Open(t, browser, srv.URL+"/slo", v.vp)
			tab.RequireClean(t, srv.URL)

			// One vertex at the window's start (the whole budget), then
			// one per bucket group as BurnDown computes them.
			points := browsertest.Eval[int](t, tab, `document.querySelector("#slo-0 polyline.burn").points.numberOfItems`)
			rows := browsertest.Eval[int](t, tab, `document.querySelectorAll("#slo-0 table.data tbody tr").length`)
			if points != len(bd.Points)+1 || rows != len(bd.Points) {
				t.Errorf("burn-down has %d vertices and %d rows, want %d groups (+1 vertex at the start)", points, rows, len(bd.Points))
			}
			last := browsertest.Eval[string](t, tab, `document.querySelector("#slo-0 table.data tbody tr:last-child td:last-child").textContent`)
			headline := browsertest.Eval[string](t, tab, `[...document.querySelectorAll("#slo-0 .stat")].find(s => s.querySelector("dt").textContent == "Budget remaining").querySelector(".value").textContent`)
			if last != want || headline != want {
				t.Errorf("last point %q, headline %q; Status().Remaining prints %q", last, headline, want)
			}
			firing := browsertest.Eval[[]int](t, tab, `[...document.querySelectorAll("#slo-0 tr.tier")].flatMap((r, i) => r.dataset.firing == "true" && r.querySelector(".state").textContent == "FIRING" ? [i] : [])`)
			var wantFiring []int
			for i, tr := range status.Tiers {
				if tr.Firing {
					wantFiring = append(wantFiring, i)
				}
			}
			if len(wantFiring) == 0 || fmt.Sprint(firing) != fmt.Sprint(wantFiring) {
				t.Errorf("tiers marked firing %v, want %v", firing, wantFiring)
			}
			// The chart has its text alternative.
			label := browsertest.Eval[string](t, tab, `document.querySelector("#slo-0 svg.chart").getAttribute("aria-labelledby").split(" ").map(id => document.getElementById(id).textContent).join(" ")`)
			if !strings.Contains(label, "burn-down of checkout") || !strings.Contains(label, want) {
				t.Errorf("chart's accessible text = %q", label)
			}
			requireFits(t, tab)
			tab.Screenshot(t, "slo-"+v.name)
			tab.FullPage(t, "slo-"+v.name+"-full")
		})
	}

	for _, v := range []struct {
		name string
		vp   browsertest.Viewport
	}{{"desktop", browsertest.Desktop}, {"phone", browsertest.Phone}} {
		t.Run("dashboard-"+v.name, func(t *testing.T) {
			tab := browsertest.Open(t, browser, srv.URL+"/all", v.vp)
			tab.RequireClean(t, srv.URL)
			sections := browsertest.Eval[int](t, tab, `document.querySelectorAll("section.slo").length`)
			if sections != 3 {
				t.Errorf("%d objectives on the dashboard, want 3", sections)
			}
			noData := browsertest.Eval[string](t, tab, `document.querySelector("#slo-1 .nodata").textContent`)
			if !strings.HasPrefix(noData, "No data: no events were recorded") {
				t.Errorf("empty tracker says %q", noData)
			}
			if n := browsertest.Eval[int](t, tab, `document.querySelectorAll("#slo-1 polyline.burn").length`); n != 0 {
				t.Errorf("empty tracker draws %d burn-down lines", n)
			}
			name := browsertest.Eval[string](t, tab, `document.querySelector("#slo-2 h2").textContent`)
			scripts := browsertest.Eval[int](t, tab, `document.querySelectorAll("script").length`)
			if name != "<script>alert(1)</script>" || scripts != 0 {
				t.Errorf("hostile name renders as %q with %d script elements, want the text and none", name, scripts)
			}
			requireFits(t, tab)
			tab.Screenshot(t, "dashboard-"+v.name)
			tab.FullPage(t, "dashboard-"+v.name+"-full")
		})
	}
}

// requireFits fails when the page is wider than the window: no sideways
// scrolling at either width.
func requireFits(t *testing.T, tab *browsertest.Tab) {
	t.Helper()
	if w := browsertest.Eval[[]int](t, tab, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("page is %dpx wide in a %dpx window", w[0], w[1])
	}
}
