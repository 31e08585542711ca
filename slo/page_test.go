package slo_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/ybiyri/runkit/internal/htmltest"
	"github.com/ybiyri/runkit/slo"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

func TestHandlerNegotiates(t *testing.T) {
	tr, _ := burningTracker(t, "checkout")
	srv := httptest.NewServer(tr.Handler())
	defer srv.Close()
	// What the handler served before it knew HTML: the report, indented.
	wantJSON, err := json.MarshalIndent(tr.Status(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON = append(wantJSON, '\n')

	cases := []struct {
		accept []string
		html   bool
	}{
		{nil, false},
		{[]string{"*/*"}, false},
		{[]string{"application/json"}, false},
		{[]string{browserAccept}, true},
		{[]string{"text/html"}, true},
		{[]string{"TEXT/HTML"}, true},
		{[]string{"text/*"}, true},
		{[]string{"application/xhtml+xml"}, true},
		{[]string{"application/json, text/html"}, false}, // a tie keeps JSON
		{[]string{"text/html;q=0.5, application/json"}, false},
		{[]string{"text/html, application/json;q=0.9"}, true},
		{[]string{"text/html;q=0"}, false},
		{[]string{"text/html;q=abc"}, false}, // an element that does not parse counts for nothing
		{[]string{"text/html;q=1.5"}, false},
		{[]string{"*/*, text/html;q=0.5"}, false},
		{[]string{"text/html, */*;q=0.1"}, true},
		{[]string{"application/json;q=0.2", "text/html;q=0.3"}, true}, // two header lines
		{[]string{"text/plain"}, false},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		for _, a := range c.accept {
			req.Header.Add("Accept", a)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != 200 || resp.Header.Get("Vary") != "Accept" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Accept %q: %d, Vary %q, Cache-Control %q", c.accept, resp.StatusCode, resp.Header.Get("Vary"), resp.Header.Get("Cache-Control"))
		}
		switch {
		case c.html && ct != "text/html; charset=utf-8":
			t.Errorf("Accept %q: Content-Type %q, want the page", c.accept, ct)
		case c.html && !bytes.HasPrefix(body, []byte("<!doctype html>")):
			t.Errorf("Accept %q: body starts %.40q", c.accept, body)
		case !c.html && ct != "application/json":
			t.Errorf("Accept %q: Content-Type %q, want JSON", c.accept, ct)
		case !c.html && !bytes.Equal(body, wantJSON):
			t.Errorf("Accept %q: JSON changed:\n%s\nwant\n%s", c.accept, body, wantJSON)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	tr, _ := burningTracker(t, "checkout")
	for _, accept := range []string{"text/html", "application/json"} {
		req := httptest.NewRequest("HEAD", "/slo", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		tr.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.Len() != 0 || !strings.Contains(rec.Header().Get("Content-Type"), strings.TrimPrefix(accept, "text/")) {
			t.Errorf("HEAD Accept %s = %d, %q, %d bytes", accept, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
		}
		req = httptest.NewRequest("POST", "/slo", nil)
		req.Header.Set("Accept", accept)
		rec = httptest.NewRecorder()
		tr.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST Accept %s = %d", accept, rec.Code)
		}
	}
}

// getPage fetches h's page as a browser would.
func getPage(t *testing.T, h http.Handler) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept", browserAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestPageHTML(t *testing.T) {
	tr, now := burningTracker(t, "checkout")
	resp, page := getPage(t, tr.Handler())
	for h, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'",
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	doc := htmltest.WellFormed(t, page)
	htmltest.SelfContained(t, doc, page)
	refresh := htmltest.Find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Meta && htmltest.Attr(n, "http-equiv") == "refresh" })
	if len(refresh) != 1 || htmltest.Attr(refresh[0], "content") != "60" {
		t.Errorf("meta refresh = %v, want one of 60 s", refresh)
	}

	bd := tr.BurnDownAt(now, slo.DashboardPoints)
	s := tr.StatusAt(now)
	lines := htmltest.Find(doc, htmltest.WithClass("polyline", "burn"))
	if len(lines) != 1 {
		t.Fatalf("%d burn-down lines, want 1", len(lines))
	}
	if n := len(strings.Fields(htmltest.Attr(lines[0], "points"))); n != len(bd.Points)+1 {
		t.Errorf("burn-down has %d vertices, want %d: the start and one per group", n, len(bd.Points)+1)
	}
	rows := htmltest.Find(doc, func(n *html.Node) bool {
		return n.DataAtom == atom.Tr && n.Parent.DataAtom == atom.Tbody && htmltest.WithClass("table", "data")(n.Parent.Parent)
	})
	want := fmt.Sprintf("%.2f%%", 100*s.Remaining)
	if len(rows) != len(bd.Points) {
		t.Errorf("data table has %d rows, want %d", len(rows), len(bd.Points))
	} else if last := htmltest.Text(rows[len(rows)-1].LastChild); last != want {
		t.Errorf("last point reads %q, Status %q", last, want)
	}
	if len(htmltest.Find(doc, htmltest.WithClass("polyline", "proj"))) != 1 || len(htmltest.Find(doc, htmltest.WithClass("line", "ideal"))) != 1 {
		t.Error("the projection or the ideal line is missing")
	}
	// The chart's text alternative and the firing tier.
	charts := htmltest.Find(doc, htmltest.WithClass("svg", "chart"))
	if len(charts) != 1 || htmltest.Attr(charts[0], "role") != "img" || !strings.Contains(htmltest.Text(charts[0]), "runs out around") {
		t.Errorf("chart without its text alternative: %v", charts)
	}
	tiers := htmltest.Find(doc, htmltest.WithClass("tr", "tier"))
	if len(tiers) != len(s.Tiers) {
		t.Fatalf("%d tier rows, want %d", len(tiers), len(s.Tiers))
	}
	for i, row := range tiers {
		firing := htmltest.Attr(row, "data-firing") == "true" && strings.Contains(htmltest.Text(row), "FIRING")
		if firing != s.Tiers[i].Firing {
			t.Errorf("tier %d marked firing %v, status says %v", i, firing, s.Tiers[i].Firing)
		}
	}
}

// TestPageStates renders objectives in every state a page can show: well
// formed, no NaN, and the words for each state.
func TestPageStates(t *testing.T) {
	now := t0.Add(10 * day)
	clock := slo.TrackerConfig{Now: func() time.Time { return now }}
	mk := func(o slo.Objective, fill func(*slo.Tracker)) *slo.Tracker {
		tr := newTracker(t, o, clock)
		if fill != nil {
			fill(tr)
		}
		return tr
	}
	mkSince := func(o slo.Objective, fill func(*slo.Tracker)) *slo.Tracker {
		tr := newTrackerSince(t, o, clock, now.Add(-o.Window.Rolling))
		fill(tr)
		return tr
	}
	steady := func(good, bad int64) func(*slo.Tracker) {
		return func(tr *slo.Tracker) {
			for m := range 10 * 24 * 60 {
				tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), good, bad)
			}
		}
	}
	cases := []struct {
		name  string
		tr    *slo.Tracker
		words []string
	}{
		{"empty", mk(slo.Objective{Name: "quiet", Target: 0.999, Window: slo.Rolling(30 * day)}, nil),
			[]string{"No data: no events were recorded in the 30d window", "no data"}},
		// Ten days failing 10%, seen by a tracker that has run the whole
		// window.
		{"spent", mkSince(slo.Objective{Name: "broken", Target: 0.999, Window: slo.Rolling(30 * day)}, steady(900, 100)),
			[]string{"Budget spent", "-9900.00%", "over"}},
		{"healthy", mk(slo.Objective{Name: "fine", Target: 0.99, Window: slo.Rolling(30 * day)}, steady(1000, 0)),
			[]string{"Within budget", "100.00%", "not burning"}},
		// The burn rate of the last hour and that of the whole window are
		// named apart: 10× now, 1× over the window.
		{"burn rates", mk(slo.Objective{Name: "two-rates", Target: 0.99, Window: slo.Rolling(30 * day)}, func(tr *slo.Tracker) {
			steady(990, 10)(tr)
		}), []string{"Burn rate, last 1h", "1× over the whole 30d window so far"}},
		{"timeslices", mk(slo.Objective{Name: "slices", Target: 0.99, Window: slo.Rolling(30 * day), Method: slo.Timeslices}, steady(99, 1)),
			[]string{"bad 1m slices allowed", "counting timeslices"}},
		{"omitted and refused", mk(slo.Objective{Name: "batch", Target: 0.9, Window: slo.Rolling(30 * day)}, func(tr *slo.Tracker) {
			steady(100, 1)(tr)
			tr.RecordNAt(now.Add(day), 5, 0)     // a clock a day ahead
			tr.RecordNAt(now.Add(-40*day), 1, 0) // older than the window
		}), []string{"Left out of the default policy", "page on 1h/5m: burn-rate threshold 14.4 × budget 0.1", "5 events were refused for being more than 1m past the clock", "1 event arrived older than the window and was not counted"}},
		{"no tiers", mk(slo.Objective{Name: "short", Target: 0.99, Window: slo.Rolling(30 * time.Minute)}, func(tr *slo.Tracker) {
			for m := range 30 {
				tr.RecordNAt(now.Add(-time.Duration(m)*time.Minute), 99, int64(m%2))
			}
		}), []string{"No alert tier", "Left out of the default policy", "Burn rate, last 30m", "at the last 30m's burn rate of 0.503×"}},
		{"calendar", mk(slo.Objective{Name: "monthly", Target: 0.999, Window: slo.CalendarWindow(slo.Month, nil)}, steady(100000, 3)),
			[]string{"calendar month (UTC, 30d)", "Nov 9"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, page := getPage(t, c.tr.Handler())
			doc := htmltest.WellFormed(t, page)
			htmltest.SelfContained(t, doc, page)
			body := htmltest.Text(doc)
			for _, w := range c.words {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			s := c.tr.Status()
			bd := c.tr.BurnDown(slo.DashboardPoints)
			if bd.Events == 0 {
				if n := len(htmltest.Find(doc, htmltest.WithClass("polyline", "burn"))); n != 0 {
					t.Errorf("no data, yet %d burn-down lines", n)
				}
				return
			}
			if got := bd.Points[len(bd.Points)-1].Remaining; got != s.Remaining {
				t.Errorf("last point %v, Status %v", got, s.Remaining)
			}
		})
	}
}

func TestDashboard(t *testing.T) {
	a, now := burningTracker(t, "checkout")
	b := newTracker(t, slo.Objective{Name: `search & "browse"`, Target: 0.99, Window: slo.Rolling(day)}, slo.TrackerConfig{Now: func() time.Time { return now }})
	d, err := slo.NewDashboard(slo.DashboardConfig{Title: "Shop <SLOs>", Refresh: 30 * time.Second}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	_, page := getPage(t, d)
	doc := htmltest.WellFormed(t, page)
	if titles := htmltest.Find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title && n.Parent.DataAtom == atom.Head }); len(titles) != 1 || htmltest.Text(titles[0]) != "Shop <SLOs>" {
		t.Errorf("title = %v", titles)
	}
	if !strings.Contains(page, `content="30"`) || !strings.Contains(page, "search &amp; &#34;browse&#34;") {
		t.Error("refresh of 30 s or the escaped name is missing")
	}
	if n := len(htmltest.Find(doc, htmltest.WithClass("section", "slo"))); n != 2 {
		t.Errorf("%d objectives, want 2", n)
	}
	if n := len(htmltest.Find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Nav })); n != 1 {
		t.Errorf("%d summaries, want 1", n)
	}

	// JSON clients get every report.
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var reports []slo.TrackerStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &reports); err != nil {
		t.Fatal(err)
	}
	if rec.Header().Get("Content-Type") != "application/json" || len(reports) != 2 ||
		reports[0].Objective != "checkout" || reports[1].Objective != `search & "browse"` || !reports[1].NoData {
		t.Errorf("JSON = %s", rec.Body)
	}

	// No reload at all.
	off, err := slo.NewDashboard(slo.DashboardConfig{Refresh: -1}, a)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := off.WriteHTMLAt(&buf, now); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `http-equiv="refresh"`) || strings.Contains(buf.String(), "Reloads") {
		t.Error("Refresh -1 still reloads")
	}
}

func TestNewDashboardRejects(t *testing.T) {
	tr, _ := burningTracker(t, "checkout")
	for _, c := range []struct {
		cfg      slo.DashboardConfig
		trackers []*slo.Tracker
		want     string
	}{
		{slo.DashboardConfig{}, nil, "at least one tracker"},
		{slo.DashboardConfig{}, []*slo.Tracker{tr, nil}, "tracker 1 is nil"},
		{slo.DashboardConfig{Refresh: 1500 * time.Millisecond}, []*slo.Tracker{tr}, "Refresh 1.5s is not a whole number of seconds"},
	} {
		if _, err := slo.NewDashboard(c.cfg, c.trackers...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewDashboard(%+v, %d trackers) = %v, want %q", c.cfg, len(c.trackers), err, c.want)
		}
	}
}

func FuzzHandlerAccept(f *testing.F) {
	for _, s := range []string{"", "*/*", browserAccept, "text/html;q=0.5, application/json", "text/*;q=.3", "a/b;q=1;q=0", ";;,", "text/html;Q=1.0", "*/html"} {
		f.Add(s)
	}
	tr := newTracker(f, slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(time.Hour)}, slo.TrackerConfig{})
	h := tr.Handler()
	f.Fuzz(func(t *testing.T, accept string) {
		req := httptest.NewRequest("GET", "/slo", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("Accept %q: %d", accept, rec.Code)
		}
		lower := strings.ToLower(accept)
		switch ct := rec.Header().Get("Content-Type"); ct {
		case "application/json":
			if !json.Valid(rec.Body.Bytes()) {
				t.Errorf("Accept %q: invalid JSON", accept)
			}
		case "text/html; charset=utf-8":
			if !strings.Contains(lower, "html") && !strings.Contains(lower, "text/*") {
				t.Errorf("Accept %q names no HTML, yet got the page", accept)
			}
		default:
			t.Errorf("Accept %q: Content-Type %q", accept, ct)
		}
	})
}

// TestPageSize keeps the page of a full 30-day, one-minute tracker under
// 200 KB, as BenchmarkPage reports it.
func TestPageSize(t *testing.T) {
	tr := newTracker(t, slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}, slo.TrackerConfig{})
	for m := range 30 * 24 * 60 {
		tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 1000, int64(m%3))
	}
	d, err := slo.NewDashboard(slo.DashboardConfig{}, tr)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := d.WriteHTMLAt(&buf, t0.Add(30*day-time.Second)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 200_000 {
		t.Errorf("page is %d bytes, over 200 KB", buf.Len())
	}
	htmltest.WellFormed(t, buf.String())
}

// TestPageOverspent renders budgets spent many times over: the y-axis
// labels of the burn-down never overlap (the 100% and 0% lines lie a few
// pixels apart when the axis reaches -4875%), and the budget in time says
// how much downtime the errors equal rather than a time "over".
func TestPageOverspent(t *testing.T) {
	for _, c := range []struct {
		name       string
		o          slo.Objective
		good, bad  int64
		words, not []string
	}{
		// 99.99% over 7 days, failing half a percent: -4900%.
		{"7d", slo.Objective{Name: "api", Target: 0.9999, Window: slo.Rolling(7 * day)}, 995, 5,
			[]string{"-4900.00%", "none left", "the errors equal 50m 24s of full downtime; the 7d window allows 1m"}, []string{" over"}},
		// One failed request of one in a day.
		{"1d", slo.Objective{Name: "rare", Target: 0.9999, Window: slo.Rolling(day)}, 0, 1,
			[]string{"none left", "the errors equal 1d of full downtime; the 1d window allows 9s"}, []string{"23h", " over"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := t0.Add(10 * day)
			// A tracker that has run the whole window.
			tr := newTrackerSince(t, c.o, slo.TrackerConfig{Now: func() time.Time { return now }}, now.Add(-c.o.Window.Rolling))
			tr.RecordNAt(now.Add(-time.Hour), c.good, c.bad)
			_, page := getPage(t, tr.Handler())
			doc := htmltest.WellFormed(t, page)
			stats := htmltest.Find(doc, htmltest.WithClass("div", "stat"))
			var inTime string
			for _, s := range stats {
				if txt := htmltest.Text(s); strings.HasPrefix(txt, "Budget in time") {
					inTime = txt
				}
			}
			for _, w := range c.words {
				if !strings.Contains(htmltest.Text(doc), w) && !strings.Contains(inTime, w) {
					t.Errorf("page lacks %q; budget in time reads %q", w, inTime)
				}
			}
			for _, w := range c.not {
				if strings.Contains(inTime, w) {
					t.Errorf("budget in time reads %q, with %q", inTime, w)
				}
			}
			// The y-axis labels: x="4" texts of the chart, at least a
			// line of 11px text apart.
			labels := htmltest.Find(doc, func(n *html.Node) bool {
				return n.Type == html.ElementNode && n.Data == "text" && htmltest.Attr(n, "x") == "4"
			})
			ys := map[string]float64{}
			for _, l := range labels {
				y, err := strconv.ParseFloat(htmltest.Attr(l, "y"), 64)
				if err != nil {
					t.Fatalf("label %q at y %q", htmltest.Text(l), htmltest.Attr(l, "y"))
				}
				ys[htmltest.Text(l)] = y
			}
			if _, ok := ys["100%"]; !ok {
				t.Errorf("no 100%% label: %v", ys)
			}
			if _, ok := ys["0%"]; !ok {
				t.Errorf("no 0%% label: %v", ys)
			}
			for a, ya := range ys {
				for b, yb := range ys {
					if a < b && math.Abs(ya-yb) < 12 {
						t.Errorf("labels %s (y %v) and %s (y %v) overlap", a, ya, b, yb)
					}
				}
			}
		})
	}
}

// TestPageThresholdAsReason: a tier's threshold reads the same in its row
// and in its reason: 13.44 for the 1h tier of 28 days, not 13.4 beside
// "within 13.44".
func TestPageThresholdAsReason(t *testing.T) {
	now := t0.Add(28 * day)
	o := slo.Objective{Name: "checkout", Target: 0.995, Window: slo.Rolling(28 * day)}
	tr := newTrackerSince(t, o, slo.TrackerConfig{Now: func() time.Time { return now }}, t0)
	for m := range 28 * 24 * 60 {
		tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 1000, int64(m%2))
	}
	_, page := getPage(t, tr.Handler())
	doc := htmltest.WellFormed(t, page)
	rows := htmltest.Find(doc, htmltest.WithClass("tr", "tier"))
	reasons := htmltest.Find(doc, htmltest.WithClass("tr", "reason"))
	if len(rows) == 0 || len(rows) != len(reasons) {
		t.Fatalf("%d tier rows, %d reasons", len(rows), len(reasons))
	}
	want := []string{"13.44", "5.6", "2.8"}
	for i, row := range rows {
		text, reason := htmltest.Text(row), htmltest.Text(reasons[i])
		_, after, ok := strings.Cut(text, "threshold ")
		th, _, _ := strings.Cut(after, "×")
		if !ok || (i < len(want) && th != want[i]) || !strings.Contains(reason, " "+th+":") && !strings.HasSuffix(reason, " "+th) {
			t.Errorf("tier %d: threshold %q in %q, reason %q", i, th, text, reason)
		}
	}
}
