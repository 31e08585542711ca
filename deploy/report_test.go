package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/internal/htmltest"
)

// quarter is 13 weeks of a team's deployments and incidents: about one and
// a half deployments a day with one to three commits each, lead times from
// minutes to weeks, one in eight failing, a week of freeze without any
// deployment, and six incidents; one cause is hostile markup.
func quarter() deploy.DORAReport {
	start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC) // a Monday
	end := start.Add(13 * 7 * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(7, 11))
	r := deploy.DORAReport{Title: "checkout <team>", Start: start, End: end}
	for at := start.Add(3 * time.Hour); at.Before(end); at = at.Add(time.Duration(rng.Int64N(int64(32 * time.Hour)))) {
		if week := int(at.Sub(start) / (7 * 24 * time.Hour)); week == 5 {
			continue // the freeze
		}
		dep := deploy.Deployment{ID: fmt.Sprintf("v1.%d", len(r.Deployments)), Time: at, Failed: rng.IntN(8) == 0}
		for range 1 + rng.IntN(3) {
			lead := time.Duration(math.Exp(rng.Float64()*math.Log(float64(40*24*time.Hour)/float64(5*time.Minute)))) * 5 * time.Minute
			dep.Commits = append(dep.Commits, at.Add(-lead))
		}
		r.Deployments = append(r.Deployments, dep)
	}
	r.Deployments[10].ID = `<img src=x onerror=alert(1)>` // the cause of an incident below
	for i, d := range []time.Duration{10 * time.Minute, 45 * time.Minute, 3 * time.Hour, 26 * time.Hour, 20 * time.Minute, 3 * 24 * time.Hour} {
		s := start.Add(time.Duration(i*13+2) * 24 * time.Hour)
		r.Incidents = append(r.Incidents, deploy.Incident{Start: s, Restored: s.Add(d), Cause: r.Deployments[i*10].ID})
	}
	r.Incidents[2].Cause = "<script>alert(1)</script>"
	// Twenty restarts of one deployment's replicas announce it again, one
	// of them with a commit the first marker missed: still one deployment.
	first := r.Deployments[20]
	for i := range 20 {
		again := first
		again.Time = first.Time.Add(time.Duration(i+1) * time.Minute)
		if i == 7 {
			again.Commits = append(slices.Clone(first.Commits), first.Time.Add(-90*time.Minute))
		}
		r.Deployments = append(r.Deployments, again)
	}
	// An incident still open at the end of the period.
	r.Incidents = append(r.Incidents, deploy.Incident{Start: end.Add(-30 * time.Hour), Cause: r.Deployments[100].ID})
	// Outside the period: counted nowhere.
	r.Incidents = append(r.Incidents, deploy.Incident{Start: end.Add(time.Hour), Restored: end.Add(2 * time.Hour)})
	return r
}

func render(t *testing.T, r deploy.DORAReport) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestDORAReport(t *testing.T) {
	r := quarter()
	page := render(t, r)
	doc := htmltest.WellFormed(t, page)
	htmltest.SelfContained(t, doc, page)
	d, err := deploy.MeasureDORA(r.Start, r.End, r.Deployments, r.Incidents)
	if err != nil {
		t.Fatal(err)
	}

	// Thirteen weeks, each a bar and a row; together they are the period.
	weekly := htmltest.Find(doc, func(n *html.Node) bool { return htmltest.WithClass("g", "bar")(n) && inChart(n, "weekly") })
	rows := htmltest.Find(doc, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" && inTable(n, "weeks") })
	if len(weekly) != 13 || len(rows) != 13 {
		t.Fatalf("%d weekly bars and %d rows, want 13", len(weekly), len(rows))
	}
	deployments, failed := 0, 0
	for i, row := range rows {
		cells := htmltest.Find(row, htmltest.Tag("td"))
		var n, f int
		fmt.Sscan(htmltest.Text(cells[2]), &n)
		fmt.Sscan(htmltest.Text(cells[3]), &f)
		deployments += n
		failed += f
		if i == 5 && (n != 0 || htmltest.Text(cells[4]) != "no deployments") {
			t.Errorf("freeze week reads %d deployments, rate %q", n, htmltest.Text(cells[4]))
		}
		if want := fmt.Sprintf("Week of %s: %d deployments, %d failed", r.Start.AddDate(0, 0, 7*i).Format("Jan 2"), n, f); !strings.Contains(htmltest.Text(weekly[i]), want) {
			t.Errorf("bar %d says %q, want %q", i, htmltest.Text(weekly[i]), want)
		}
	}
	if deployments != d.Deployments || math.Abs(float64(failed)/float64(deployments)-d.ChangeFailureRate) > 1e-12 {
		t.Errorf("weeks add up to %d deployments, %d failed; MeasureDORA %d at %v", deployments, failed, d.Deployments, d.ChangeFailureRate)
	}

	// The lead-time distribution counts every change once.
	changes := 0
	for _, row := range htmltest.Find(doc, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" && inTable(n, "leadtimes") }) {
		var n int
		fmt.Sscan(htmltest.Text(htmltest.Find(row, htmltest.Tag("td"))[1]), &n)
		changes += n
	}
	if changes != d.Changes || d.Changes == 0 {
		t.Errorf("distribution holds %d changes, MeasureDORA %d", changes, d.Changes)
	}

	// One bar per incident of the period, the hostile cause as text.
	bars := htmltest.Find(doc, func(n *html.Node) bool {
		return n.Data == "rect" && n.Parent.Data == "svg" && htmltest.Attr(n.Parent, "class") == "ibar"
	})
	labels := htmltest.Find(doc, htmltest.WithClass("span", "lab"))
	if len(bars) != d.Incidents || len(labels) != d.Incidents || d.Incidents != 7 || len(d.Open) != 1 {
		t.Fatalf("%d incident bars, %d labels; MeasureDORA %d, %d open", len(bars), len(labels), d.Incidents, len(d.Open))
	}
	if got := htmltest.Text(labels[2]); got != "Aug 31 00:00 · 3h · caused by <script>alert(1)</script>" {
		t.Errorf("incident label %q", got)
	}
	if got := htmltest.Text(labels[1]); got != "Aug 18 00:00 · 45m · caused by <img src=x onerror=alert(1)>" {
		t.Errorf("incident label %q", got)
	}
	if got := htmltest.Text(labels[6]); got != "Oct 31 18:00 · still open, for 1d 6h at the period's end · caused by "+r.Deployments[100].ID ||
		htmltest.Attr(bars[6], "class") != "open" {
		t.Errorf("open incident drawn as %q, class %q", got, htmltest.Attr(bars[6], "class"))
	}
	body := htmltest.Text(doc)
	for _, want := range []string{"median of 6 restored incidents; 1 still open, the oldest for 1d 6h", "20 repeated markers of the same deployments folded in"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if d.Duplicates != 20 {
		t.Errorf("MeasureDORA folded %d duplicates, want 20", d.Duplicates)
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") ||
		!strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("a hostile name is not escaped")
	}

	// The clusters: one marked cell per key, the one MeasureDORA chose.
	hits := htmltest.Find(doc, htmltest.WithClass("td", "hit"))
	want := []deploy.Performance{d.Frequency, d.LeadTime, d.FailureRate, d.Restore}
	if len(hits) != 4 {
		t.Fatalf("%d marked clusters, want 4", len(hits))
	}
	for i, h := range hits {
		col := 0
		for c := h.PrevSibling; c != nil; c = c.PrevSibling {
			if c.Data == "td" {
				col++
			}
		}
		if col != int(deploy.Elite-want[i]) {
			t.Errorf("key %d marked in column %d, want %v", i, col, want[i])
		}
	}
	for _, c := range []string{"weekly", "leads", "failures"} {
		svg := htmltest.Find(doc, func(n *html.Node) bool {
			return n.Data == "svg" && strings.HasPrefix(htmltest.Attr(n, "aria-labelledby"), c+"-t ")
		})
		if len(svg) != 1 || htmltest.Attr(svg[0], "role") != "img" || len(htmltest.Text(svg[0])) < 40 {
			t.Errorf("chart %s lacks its text alternative", c)
		}
	}
	if !strings.Contains(page, "<title>checkout &lt;team&gt;</title>") {
		t.Error("title not escaped")
	}
}

// inChart reports whether n is inside the chart whose ids start with id.
func inChart(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Data == "svg" && strings.HasPrefix(htmltest.Attr(p, "aria-labelledby"), id+"-t") {
			return true
		}
	}
	return false
}

func inTable(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Data == "table" {
			return htmltest.Attr(p, "id") == id
		}
	}
	return false
}

func TestDORAReportEmpty(t *testing.T) {
	start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	page := render(t, deploy.DORAReport{Start: start, End: start.Add(10 * 24 * time.Hour)})
	doc := htmltest.WellFormed(t, page)
	// Ten days are a week and a last week of three days, which says so.
	var lengths []string
	for _, row := range htmltest.Find(doc, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" && inTable(n, "weeks") }) {
		lengths = append(lengths, htmltest.Text(htmltest.Find(row, htmltest.Tag("td"))[1]))
	}
	if fmt.Sprint(lengths) != "[7d 3d]" {
		t.Errorf("week lengths %v, want [7d 3d]", lengths)
	}
	htmltest.SelfContained(t, doc, page)
	body := htmltest.Text(doc)
	for _, want := range []string{
		"DORA report", "2 weeks", "No deployments in the period", "No changes deployed in the period",
		"No incidents started in the period", "unknown", "no deployment in the period", "no incidents",
		"the incident record holds none", "10d",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
}

func TestDORAReportErrors(t *testing.T) {
	start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	for _, r := range []deploy.DORAReport{
		{Start: start, End: start},
		{Start: start, End: start.Add(time.Hour), Incidents: []deploy.Incident{{Start: start.Add(time.Minute), Restored: start}}},
	} {
		var b bytes.Buffer
		err := r.WriteHTML(&b)
		_, want := deploy.MeasureDORA(r.Start, r.End, r.Deployments, r.Incidents)
		if err == nil || err.Error() != want.Error() || b.Len() != 0 {
			t.Errorf("WriteHTML = %v with %d bytes written, want MeasureDORA's %v and nothing", err, b.Len(), want)
		}
	}
	if err := quarter().WriteHTML(failingWriter{}); !errors.Is(err, errDiskFull) {
		t.Errorf("WriteHTML to a failing writer = %v", err)
	}
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// BenchmarkDORAReport renders a quarter of 10,000 deployments (thirty
// thousand changes) and 1,000 incidents.
func BenchmarkDORAReport(b *testing.B) {
	start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	r := deploy.DORAReport{Start: start, End: start.Add(13 * 7 * 24 * time.Hour)}
	rng := rand.New(rand.NewPCG(1, 2))
	span := int64(r.End.Sub(r.Start))
	for i := range 10_000 {
		at := start.Add(time.Duration(rng.Int64N(span)))
		r.Deployments = append(r.Deployments, deploy.Deployment{ID: fmt.Sprint(i), Time: at, Failed: i%9 == 0,
			Commits: []time.Time{at.Add(-time.Hour), at.Add(-30 * time.Hour), at.Add(-9 * 24 * time.Hour)}})
	}
	for range 1_000 {
		s := start.Add(time.Duration(rng.Int64N(span)))
		r.Incidents = append(r.Incidents, deploy.Incident{Start: s, Restored: s.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))})
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.WriteHTML(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "html-bytes")
}
