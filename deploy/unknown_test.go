package deploy_test

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/internal/htmltest"
)

// Missing data is not a result: a measure with nothing to go on is in no
// cluster, whatever its number reads.
func TestDORAUnknown(t *testing.T) {
	end := day0.Add(10 * 24 * time.Hour)
	var zero deploy.Performance
	if zero != deploy.Unknown || zero.String() != "unknown" {
		t.Errorf("zero Performance is %v, want unknown", zero)
	}

	// Deployments without commit times: lead time unknown, not low.
	deps := []deploy.Deployment{{ID: "d1", Time: at(10)}, {ID: "d2", Time: at(50), Failed: true}, {ID: "d3", Time: at(90)}}
	d, err := deploy.MeasureDORA(day0, end, deps, []deploy.Incident{})
	if err != nil {
		t.Fatal(err)
	}
	if d.LeadTime != deploy.Unknown || d.Changes != 0 {
		t.Errorf("no commit times: lead time %v over %d changes, want unknown over 0", d.LeadTime, d.Changes)
	}
	// An incident record with no incident in it says there were none.
	if d.IncidentsUnknown || d.Restore != deploy.Elite || d.FailureRate != deploy.Low {
		t.Errorf("empty incident record: unknown %v, restore %v, failure rate %v; want false, elite, low", d.IncidentsUnknown, d.Restore, d.FailureRate)
	}

	// No incident record: failure rate and restore unknown. The failures
	// the deployments record still count, as a floor.
	d, err = deploy.MeasureDORA(day0, end, deps, nil, deploy.IncidentsUnknown())
	if err != nil {
		t.Fatal(err)
	}
	if !d.IncidentsUnknown || d.FailureRate != deploy.Unknown || d.Restore != deploy.Unknown {
		t.Errorf("no incident record: unknown %v, failure rate %v, restore %v; want true, unknown, unknown", d.IncidentsUnknown, d.FailureRate, d.Restore)
	}
	if d.ChangeFailureRate != 1.0/3 || d.Frequency != deploy.High {
		t.Errorf("no incident record: change failure rate %v, frequency %v; want 1/3 and high", d.ChangeFailureRate, d.Frequency)
	}
	// Incidents and "no record" at once contradict each other.
	if _, err := deploy.MeasureDORA(day0, end, deps, []deploy.Incident{{Start: at(1)}}, deploy.IncidentsUnknown()); err == nil ||
		!strings.Contains(err.Error(), "IncidentsUnknown with 1 incident") {
		t.Errorf("MeasureDORA with incidents and IncidentsUnknown = %v, want an error", err)
	}

	// No deployment in the period: no lead time and no failure rate.
	d, err = deploy.MeasureDORA(day0, end, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Frequency != deploy.Low || d.LeadTime != deploy.Unknown || d.FailureRate != deploy.Unknown || d.Restore != deploy.Elite {
		t.Errorf("nothing deployed: %v %v %v %v, want low unknown unknown elite", d.Frequency, d.LeadTime, d.FailureRate, d.Restore)
	}
}

func TestDORAReportUnknown(t *testing.T) {
	start := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	r := deploy.DORAReport{Start: start, End: start.Add(14 * 24 * time.Hour), IncidentsUnknown: true,
		Deployments: []deploy.Deployment{{ID: "a", Time: start.Add(time.Hour)}, {ID: "b", Time: start.Add(50 * time.Hour)}}}
	page := render(t, r)
	doc := htmltest.WellFormed(t, page)
	body := htmltest.Text(doc)
	for _, bad := range []string{"counted as low", "counted as elite", "nothing failed"} {
		if strings.Contains(body, bad) {
			t.Errorf("report of unknown measures says %q", bad)
		}
	}
	for _, want := range []string{"no commit times", "no incident record"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Only deployment frequency is known: one marked cluster, and three
	// keys shown as unknown.
	if hits := htmltest.Find(doc, htmltest.WithClass("td", "hit")); len(hits) != 1 {
		t.Errorf("%d marked clusters, want 1 (deployment frequency)", len(hits))
	}
	unknown := htmltest.Find(doc, func(n *html.Node) bool {
		return n.Data == "span" && strings.Contains(htmltest.Attr(n, "class"), "cl-unknown")
	})
	if len(unknown) != 3 {
		t.Errorf("%d keys shown unknown, want 3", len(unknown))
	}
	// Incidents with IncidentsUnknown: MeasureDORA's error, nothing written.
	r.Incidents = []deploy.Incident{{Start: start.Add(2 * time.Hour)}}
	var b strings.Builder
	if err := r.WriteHTML(&b); err == nil || b.Len() != 0 {
		t.Errorf("WriteHTML with incidents and IncidentsUnknown = %v, %d bytes", err, b.Len())
	}
}

// ReadMarkers is as strict as the incidents file: a misspelt field is an
// error naming the line, not a marker without it.
func TestReadMarkersUnknownField(t *testing.T) {
	ok := `{"event":"deployment","id":"1","service":"a","start":"2026-11-26T09:00:00Z","end":"2026-11-26T09:00:00Z"}`
	for _, tt := range []struct{ in, want string }{
		{ok + "\n" + `{"event":"deployment","service":"a","revison":"abc","start":"2026-11-26T09:00:00Z"}`, `deploy: marker line 2: unknown field "revison"`},
		{`{"event":"deployment","service":"a","revision":7,"start":"2026-11-26T09:00:00Z"}`, `deploy: marker line 1: revision: want string, not a JSON number`},
	} {
		_, err := deploy.ReadMarkers(strings.NewReader(tt.in))
		if err == nil || err.Error() != tt.want {
			t.Errorf("ReadMarkers(%.70q) = %v, want %q", tt.in, err, tt.want)
		}
	}
	// Lines of other events keep their own fields.
	got, err := deploy.ReadMarkers(strings.NewReader(`{"event":"rollout","revison":"x"}` + "\n" + ok))
	if err != nil || len(got) != 1 {
		t.Errorf("ReadMarkers with another event = %d markers, %v", len(got), err)
	}
}
