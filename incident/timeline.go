package incident

import (
	"bytes"
	_ "embed"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ybiyri/runkit/internal/htmlpage"
)

// DefaultPageSpan is how far back the timeline page reaches when the
// query sets no since; MinPageSpan is the least it reaches back for a
// journal whose events are all younger than DefaultPageSpan.
const (
	DefaultPageSpan = time.Hour
	MinPageSpan     = 5 * time.Minute
)

// maxRows bounds the rows of one lane of the timeline; the subjects past
// it are counted under the lane.
const maxRows = 12

//go:embed timeline.html
var timelineHTML string

var timelineTemplate = htmlpage.Parse("timeline", timelineHTML)

func (j *Journal) serveHTML(w http.ResponseWriter, r *http.Request, f Filter, now time.Time) {
	htmlpage.Serve(w, r, "incident", func(buf *bytes.Buffer) error { return j.writeHTML(buf, f, now) })
}

// WriteHTML writes the timeline page of the events f selects, as of now
// on the journal's clock: swimlanes per kind on one time axis, with the
// open breakers, failing readiness and checks, and firing tiers drawn as
// bars, deployments as lines across every lane, and below, every event in
// a table. A zero f.Until means now; a zero f.Since means DefaultPageSpan
// before f.Until, or, when every event is younger than that (a process
// that started minutes ago), the oldest event's time, at least
// MinPageSpan before f.Until, so that the events spread over the page
// rather than crowd its right edge. The page loads nothing and runs no
// script.
func (j *Journal) WriteHTML(w io.Writer, f Filter) error {
	return j.writeHTML(w, f, j.now())
}

func (j *Journal) writeHTML(w io.Writer, f Filter, now time.Time) error {
	if f.Until.IsZero() {
		f.Until = now
	}
	if f.Since.IsZero() {
		f.Since = f.Until.Add(-DefaultPageSpan)
		if oldest, ok := j.oldest(); ok && oldest.After(f.Since) {
			f.Since = oldest
			if latest := f.Until.Add(-MinPageSpan); f.Since.After(latest) {
				f.Since = latest
			}
		}
	}
	return timelineTemplate.Execute(w, j.timeline(j.Events(f), f))
}

// oldest returns the time of the journal's earliest event, if it has one.
func (j *Journal) oldest() (time.Time, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var t time.Time
	for i := range len(j.ring) {
		if e := j.atLocked(i); t.IsZero() || e.Time.Before(t) {
			t = e.Time
		}
	}
	return t, !t.IsZero()
}

type (
	timelineView struct {
		Title, Refresh      any
		Service, Instance   string
		Merged              bool
		From, To, Span      string
		Count               int
		Dropped, Summarised string
		Lanes               []laneView
		Ticks               []htmlpage.Tick
		Deploys             []markView
		Events              []eventRow
		TimelineDesc        string
	}
	laneView struct {
		Kind, Title string
		Rows        []rowView
		More        string
	}
	rowView struct {
		Label string
		Bars  []barView
		Marks []markView
	}
	barView struct {
		X, W, Class, Title string
	}
	markView struct {
		X, Class, Title string
	}
	eventRow struct {
		Seq, Time, Service, Kind, Name, Subject, Change, Severity, Cause, Count, TraceID, Class string
	}
)

var laneTitles = map[Kind]string{
	Deploy:  "Deploys",
	Health:  "Health",
	Breaker: "Breakers",
	SLO:     "SLO",
	Process: "Process",
}

// row is a lane's row being built: its bar's open state.
type row struct {
	v        rowView
	open     string // the class of the bar being drawn, "" for none
	since    time.Time
	seen     bool
	lastText string
}

func (j *Journal) timeline(events []Event, f Filter) timelineView {
	title := "Events"
	if j.cfg.Service != "" {
		title = "Events of " + j.cfg.Service
	}
	kinds := Kinds
	if len(f.Kinds) > 0 {
		kinds = nil
		for _, k := range Kinds {
			for _, fk := range f.Kinds {
				if k == fk {
					kinds = append(kinds, k)
				}
			}
		}
	}
	lanes := make([]laneHead, len(kinds))
	for i, k := range kinds {
		lanes[i] = laneHead{Key: string(k), Title: laneTitles[k]}
	}
	v := buildTimeline(events, f, title, lanes, func(e Event) string { return string(e.Kind) }, false)
	v.Service, v.Instance = j.cfg.Service, j.cfg.Instance
	if n := j.Dropped(); n > 0 {
		v.Dropped = htmlpage.Thousands(n) + " older events were dropped to keep the journal within its capacity."
	}
	if n := j.Summarised(); n > 0 {
		v.Summarised = htmlpage.Thousands(n) + " changes of flapping subjects are summarised in events with a count."
	}
	return v
}

// laneHead is a lane of the timeline: the key laneOf gives its events,
// and its title.
type laneHead struct{ Key, Title string }

// buildTimeline lays events out from f.Since to f.Until in the lanes
// given, in their order; laneOf says which lane an event goes in, and
// an event of no lane given is left out of the lanes (not the table).
// merged names each row with the kind of its events, as rows of
// different kinds share a lane, and lists each event's service.
func buildTimeline(events []Event, f Filter, title string, lanes []laneHead, laneOf func(Event) string, merged bool) timelineView {
	d0, d1 := f.Since, f.Until
	span := float64(d1.Sub(d0))
	if span <= 0 {
		span = 1
	}
	x := func(t time.Time) float64 { return min(max(float64(t.Sub(d0))/span*1000, 0), 1000) }
	coord := func(t time.Time) string { return htmlpage.Coord(x(t)) }
	v := timelineView{
		Title: title, Refresh: 0, Merged: merged,
		From: htmlpage.Stamp(d0), To: htmlpage.Stamp(d1), Span: htmlpage.Duration(d1.Sub(d0)),
		Count: len(events),
		Ticks: htmlpage.Ticks(d0, d1),
	}
	rows := map[string][]*row{}
	index := map[string]*row{}
	var lane string // of the event being laid out
	rowOf := func(k Kind, label string) *row {
		if merged && k != Health && k != Deploy {
			label = string(k) + " " + label
		}
		key := lane + "\x00" + string(k) + "\x00" + label
		if r := index[key]; r != nil {
			return r
		}
		r := &row{v: rowView{Label: label}}
		index[key] = r
		rows[lane] = append(rows[lane], r)
		return r
	}
	// bar moves r to state class ("" for none) at t, closing the bar it
	// had open. A first event whose From was bad opens the bar at the left
	// edge.
	bar := func(r *row, t time.Time, fromClass, toClass, text string) {
		if !r.seen {
			r.seen = true
			if fromClass != "" {
				r.open, r.since, r.lastText = fromClass, d0, text
			}
		}
		if r.open != "" {
			r.v.Bars = append(r.v.Bars, barView{X: coord(r.since), W: htmlpage.Coord(max(x(t)-x(r.since), 2)), Class: r.open, Title: r.lastText})
		}
		r.open, r.since, r.lastText = toClass, t, text
	}
	mark := func(r *row, e Event, class string) {
		r.v.Marks = append(r.v.Marks, markView{X: coord(e.Time), Class: class, Title: htmlpage.Stamp(e.Time) + " " + e.String()})
	}
	for _, e := range events {
		seq := strconv.FormatUint(e.Seq, 10)
		if merged && e.Seq == 0 {
			seq = ""
		}
		v.Events = append(v.Events, eventRow{
			Seq: seq, Time: e.Time.UTC().Format("2006-01-02 15:04:05.000"), Service: e.Service,
			Kind: string(e.Kind), Name: e.Name, Subject: e.Subject, Change: change(e), Severity: e.Severity,
			Cause: e.Cause, Count: count(e), TraceID: e.TraceID, Class: rowClass(e),
		})
		text := htmlpage.Stamp(e.Time) + " " + e.String()
		if merged && e.Service != "" {
			text = htmlpage.Stamp(e.Time) + " " + e.Service + ": " + e.String()
		}
		lane = laneOf(e)
		switch e.Name {
		case HealthProbe, HealthDrain:
			bar(rowOf(Health, "readiness"), e.Time, healthClass(e.From), healthClass(e.To), text)
		case HealthCheck:
			r := rowOf(Health, "check "+e.Subject)
			bar(r, e.Time, healthClass(e.From), healthClass(e.To), text)
			mark(r, e, "tick")
		case BreakerState:
			r := rowOf(Breaker, e.Subject)
			bar(r, e.Time, breakerClass(e.From), breakerClass(e.To), text)
			mark(r, e, "tick")
		case SLOTier:
			cls := "warn"
			if e.Severity == "page" {
				cls = "bad"
			}
			r := rowOf(SLO, e.Subject)
			from, to := "", ""
			if e.From == "firing" {
				from = cls
			}
			if e.To == "firing" {
				to = cls
			}
			bar(r, e.Time, from, to, text)
		case SLOBudget, SLONoData, SLOFuture:
			cls := "tick"
			if e.To == bandSpent {
				cls = "badmark"
			}
			mark(rowOf(SLO, e.Subject+" budget and data"), e, cls)
		case SLOIncident:
			from, to := "", ""
			if e.From == "open" {
				from = "bad"
			}
			if e.To == "open" {
				to = "bad"
			}
			bar(rowOf(SLO, "incident "+e.Subject), e.Time, from, to, text)
		case DeployStart, DeployMarker, DeployShutdown:
			label := "this process"
			if merged {
				label = "deployments"
			}
			mark(rowOf(Deploy, label), e, "deploymark")
			v.Deploys = append(v.Deploys, markView{X: coord(e.Time), Title: text})
		case ProcessPanic:
			mark(rowOf(Process, "panics"), e, "badmark")
		case ProcessSnapshot:
			mark(rowOf(Process, "snapshots"), e, "snapmark")
		default:
			mark(rowOf(e.Kind, e.Name), e, "tick")
		}
	}
	for _, h := range lanes {
		l := laneView{Kind: h.Key, Title: h.Title}
		rs := rows[h.Key]
		for i, r := range rs {
			if r.open != "" {
				r.v.Bars = append(r.v.Bars, barView{X: coord(r.since), W: htmlpage.Coord(max(1000-x(r.since), 2)), Class: r.open, Title: r.lastText + " (still)"})
			}
			if i < maxRows {
				l.Rows = append(l.Rows, r.v)
			}
		}
		if len(rs) > maxRows {
			l.More = "and " + strconv.Itoa(len(rs)-maxRows) + " more subjects, in the table below"
		}
		if len(l.Rows) == 0 {
			l.Rows = []rowView{{Label: "no events"}}
		}
		v.Lanes = append(v.Lanes, l)
	}
	v.TimelineDesc = "Events from " + v.From + " to " + v.To + " in lanes by source; bars mark failing readiness and checks, open breakers and firing tiers; lines mark deployments. The table below lists every event."
	if merged {
		v.TimelineDesc = "Events from " + v.From + " to " + v.To + " in one lane per service, each on its own clock; bars mark failing readiness and checks, open breakers, firing tiers and incidents; lines mark deployments of every service. The table below lists every event."
	}
	return v
}

func change(e Event) string {
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

func count(e Event) string {
	if e.Count == 0 {
		return ""
	}
	return htmlpage.Thousands(int64(e.Count))
}

func rowClass(e Event) string {
	if warns(e) {
		return "r-warn"
	}
	return ""
}

func healthClass(s string) string {
	switch s {
	case "fail":
		return "bad"
	case "warn":
		return "warn"
	}
	return ""
}

func breakerClass(s string) string {
	switch s {
	case "open":
		return "bad"
	case "half-open":
		return "warn"
	}
	return ""
}
