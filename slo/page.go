package slo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ybiyri/runkit/internal/htmlpage"
	"github.com/ybiyri/runkit/internal/readonly"
)

// DashboardConfig configures a Dashboard. Every zero field has a default.
type DashboardConfig struct {
	// Title heads the page. Empty means the objective's name and "error
	// budget" for one tracker, "Service level objectives" for several.
	Title string
	// Refresh is how often the browser reloads the page, through a
	// <meta http-equiv="refresh">, a whole number of seconds. Zero means
	// every minute; a negative value turns reloading off.
	Refresh time.Duration
}

// DefaultDashboardRefresh is the reload interval of a Dashboard whose
// config sets none.
const DefaultDashboardRefresh = time.Minute

// DashboardPoints is how many points a Dashboard's burn-down has at most,
// about one per four pixels of a wide chart: a 30-day window at one
// minute is drawn in 3-hour groups, 240 or 241 of them.
const DashboardPoints = 250

// Dashboard is an HTML page of the error budgets of one or more trackers,
// for a browser: per objective, a burn-down of the budget over the window
// against the ideal straight line and the projected exhaustion, the burn
// rate of every alerting tier against its threshold with firing tiers
// marked, and the SLI and the budget in events and in time. The charts are
// SVG drawn on the server, each with a text alternative and a table of its
// points; the page loads nothing else, runs no script, and is readable
// from a phone's width up.
//
// As an http.Handler, it serves the page to a client whose Accept header
// prefers text/html and a JSON array of TrackerStatus, one per tracker, to any
// other. Tracker.Handler does the same for one tracker.
type Dashboard struct {
	title    string
	refresh  int // seconds; 0: no reload
	trackers []*Tracker
}

var _ http.Handler = (*Dashboard)(nil)

// NewDashboard returns a page of the trackers, in the order given. It
// returns an error when there is no tracker, one is nil, or Refresh is
// positive but not a whole number of seconds.
func NewDashboard(cfg DashboardConfig, trackers ...*Tracker) (*Dashboard, error) {
	if len(trackers) == 0 {
		return nil, errors.New("slo: NewDashboard needs at least one tracker")
	}
	for i, t := range trackers {
		switch {
		case t == nil:
			return nil, fmt.Errorf("slo: NewDashboard tracker %d is nil", i)
		case t.ring == nil:
			return nil, fmt.Errorf("slo: NewDashboard tracker %d is a zero Tracker; make it with NewTracker", i)
		}
	}
	d := &Dashboard{title: cfg.Title, trackers: append([]*Tracker(nil), trackers...)}
	switch r := cfg.Refresh; {
	case r == 0:
		d.refresh = int(DefaultDashboardRefresh / time.Second)
	case r < 0:
	case r%time.Second != 0:
		return nil, fmt.Errorf("slo: DashboardConfig.Refresh %v is not a whole number of seconds", r)
	default:
		d.refresh = int(r / time.Second)
	}
	if d.title == "" {
		d.title = "Service level objectives"
		if len(trackers) == 1 {
			d.title = trackers[0].o.Name + " error budget"
		}
	}
	return d, nil
}

// ServeHTTP serves the page as HTML to a client that prefers text/html
// and the trackers' reports as a JSON array to any other, each tracker
// read at its own clock. It answers GET and HEAD only.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !readonly.Allow(w, r) {
		return
	}
	w.Header().Add("Vary", "Accept")
	if !wantsHTML(r) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		statuses := make([]TrackerStatus, len(d.trackers))
		for i, t := range d.trackers {
			statuses[i] = t.Status()
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(statuses)
		return
	}
	d.serveHTML(w, r)
}

func (d *Dashboard) serveHTML(w http.ResponseWriter, r *http.Request) {
	htmlpage.Serve(w, r, "slo", func(buf *bytes.Buffer) error { return d.write(buf, nil) })
}

// WriteHTML writes the page with each tracker read at its own clock.
func (d *Dashboard) WriteHTML(w io.Writer) error { return d.write(w, nil) }

// WriteHTMLAt writes the page with every tracker read at at.
func (d *Dashboard) WriteHTMLAt(w io.Writer, at time.Time) error { return d.write(w, &at) }

func (d *Dashboard) write(w io.Writer, at *time.Time) error {
	v := pageView{Title: d.title, Refresh: d.refresh, Multi: len(d.trackers) > 1}
	for i, t := range d.trackers {
		now := t.now()
		if at != nil {
			now = *at
		}
		if i == 0 {
			v.At = htmlpage.Stamp(now)
		}
		v.Objectives = append(v.Objectives, objective(i, t, now))
	}
	return pageTemplate.Execute(w, v)
}

//go:embed page.html
var pageHTML string

var pageTemplate = htmlpage.Parse("page", pageHTML)

// The view handed to the template: every number already formatted.
type (
	pageView struct {
		Title      string
		Refresh    int
		At         string
		Multi      bool
		Objectives []objectiveView
	}
	objectiveView struct {
		ID, Name                     string
		Target, Window, Method       string
		Health, Headline             string
		NoData                       bool
		NoDataText                   string
		Stats                        []statView
		Chart                        chartView
		Tiers                        []tierView
		Omitted                      []omittedView
		Dropped, Future              string
		Remaining, SLI, ExhaustShort string
		// Observed says how much of the window the tracker has seen,
		// when it is not all of it.
		Observed string
	}
	omittedView struct {
		Tier, Reason string
	}
	statView struct {
		Label, Value, Note, Class string
	}
	chartView struct {
		Title, Desc              string
		Line                     string // polyline points, viewBox 0 0 1000 1000
		IdealX1, IdealY1         string
		IdealX2, IdealY2         string
		Projection               string // polyline points; empty: none
		NowX, FutureW            string // in the viewBox
		NowPct, NowAnchor        string
		ZeroY                    string // in pixels
		ExhaustPct, ExhaustLabel string // empty: outside the chart
		ExhaustAnchor            string
		Grid                     []gridView
		Ticks                    []htmlpage.Tick
		Group                    string
		Rows                     []rowView
		SpentUnit                string
	}
	gridView struct {
		Y, LabelY, Label string
		Zero             bool
		// y is the line's, in plot units; labelY its label's baseline,
		// in pixels.
		y, labelY float64
	}
	rowView struct {
		At, Good, Bad, Spent, Remaining string
	}
	tierView struct {
		Severity, Guard                  string
		Long, Short                      string
		LongBurn, ShortBurn              string
		LongBar, ShortBar                string
		LongOver, ShortOver              bool
		LongNoData, ShortNoData          bool
		Threshold, State, Reason, Status string
		Firing                           bool
	}
)

// Geometry of the burn-down, in CSS pixels of the outer SVG: the plot is a
// nested SVG stretched to the width, so that lines scale and text does not.
const (
	plotTop    = 18
	plotHeight = 190
)

func objective(i int, t *Tracker, at time.Time) objectiveView {
	s := t.StatusAt(at)
	bd := t.BurnDownAt(at, DashboardPoints)
	o := t.o
	v := objectiveView{
		ID: "slo-" + strconv.Itoa(i), Name: t.displayName(),
		Target: strconv.FormatFloat(roundSig(o.Target*100, 12), 'f', -1, 64) + "%", Window: windowText(o.Window, s.Window),
		Method: o.Method.String(),
		NoData: bd.Events == 0,
	}
	v.notes(s)
	unit, units := "event", "events"
	if o.Method == Timeslices {
		unit, units = FormatDuration(o.slice())+" slice", FormatDuration(o.slice())+" slices"
	}
	if s.ObservedShare < 1 {
		v.Observed = observedText(s, v.Window, units, !v.NoData && o.Method == Occurrences)
	}

	// The burn rate ExhaustsIn projects at: that of the shortest long
	// window, or of the whole window when no tier serves the objective.
	p := pace{window: FormatDuration(s.RecentWindow), burn: s.RecentBurnRate, ok: !v.NoData}
	if len(s.Tiers) > 0 {
		_, p.ok = t.ErrorRateAt(at, s.RecentWindow)
	}

	v.Remaining = remainingText(s.Remaining)
	v.SLI = htmlpage.Percent(s.SLI, targetDecimals(o.Target))
	v.health(s)
	v.stats(s, o, at, unit, units, p)
	v.Chart = chart(o, s, bd, at, unit, units, v.NoData)
	for _, tr := range s.Tiers {
		v.Tiers = append(v.Tiers, tier(t, tr, at))
	}
	return v
}

// pace is the burn rate a card projects at, over its window, and whether
// that window has events.
type pace struct {
	window string
	burn   float64
	ok     bool
}

// notes says what the status left out: events dropped or refused, and
// the default policy's tiers that cannot serve the objective.
func (v *objectiveView) notes(s TrackerStatus) {
	if s.Dropped > 0 {
		v.Dropped = fmt.Sprintf("%s %s older than the window and %s not counted.",
			htmlpage.Thousands(s.Dropped), pick(s.Dropped == 1, "event arrived", "events arrived"), pick(s.Dropped == 1, "was", "were"))
	}
	if s.Future > 0 {
		v.Future = fmt.Sprintf("%s %s refused for being more than %s past the clock.",
			htmlpage.Thousands(s.Future), pick(s.Future == 1, "event was", "events were"), htmlpage.Duration(MaxSkew))
	}
	for _, ot := range s.OmittedTiers {
		v.Omitted = append(v.Omitted, omittedView{
			Tier:   fmt.Sprintf("%s on %s/%s", ot.Tier.Severity, FormatDuration(ot.Tier.Long), FormatDuration(ot.Tier.ShortWindow())),
			Reason: ot.Reason,
		})
	}
}

// health sets the card's verdict and headline.
func (v *objectiveView) health(s TrackerStatus) {
	switch {
	case v.NoData:
		v.Health, v.Headline = "nodata", "No data"
		v.NoDataText = "No data: no events were recorded in the " + v.Window + " window, so no budget is spent and nothing burns."
		v.SLI, v.Remaining = "no data", "no data"
	case s.Firing(Page):
		v.Health, v.Headline = "page", "Paging: "+firingText(s.Tiers, Page)
	case s.Remaining <= 0:
		v.Health, v.Headline = "spent", "Budget spent: the objective is missed for this window"
	case s.Firing(Ticket):
		v.Health, v.Headline = "ticket", "Ticket: "+firingText(s.Tiers, Ticket)
	default:
		v.Health, v.Headline = "ok", "Within budget"
		for _, tr := range s.Tiers {
			if tr.Firing {
				v.Health, v.Headline = "ticket", string(tr.Tier.Severity)+": "+firingText(s.Tiers, tr.Tier.Severity)
				break
			}
		}
	}

}

// stats sets the card's numbers: SLI, budget remaining in events and in
// time, burn rate and when the budget runs out.
func (v *objectiveView) stats(s TrackerStatus, o Objective, at time.Time, unit, units string, p pace) {
	paceWindow, paceBurn, paceOK := p.window, p.burn, p.ok
	sliNote := "target " + v.Target
	if !v.NoData {
		sliNote = fmt.Sprintf("%s good of %s %s; target %s", htmlpage.Thousands(s.Good), htmlpage.Thousands(s.Total), pick(s.Total == 1, unit, units), v.Target)
	}
	v.Stats = append(v.Stats, statView{Label: "SLI", Value: v.SLI, Note: sliNote})
	remNote := "the whole budget: nothing recorded yet"
	if !v.NoData {
		remNote = fmt.Sprintf("of %s bad %s allowed; %s spent", htmlpage.Decimal(s.AllowedBad), pick(s.AllowedBad == 1, unit, units), htmlpage.Thousands(s.Total-s.Good))
	}
	v.Stats = append(v.Stats, statView{Label: "Budget remaining", Value: v.Remaining, Note: remNote, Class: remainingClass(s, v.NoData)})
	downtime := downtime(o.Budget(), s.Window)
	timeValue := htmlpage.Duration(time.Duration(math.Round(s.Remaining*float64(downtime)))) + " left"
	timeNote := "of " + htmlpage.Duration(downtime) + " of full downtime the " + v.Window + " window allows"
	if s.Remaining <= 0 && !v.NoData {
		// Overspent, a time "over" would read as downtime past the
		// allowance; say what the errors amount to instead. An error
		// ratio r over the window equals r × window of full downtime.
		equal := time.Duration(math.Round((1 - s.Remaining) * float64(downtime)))
		timeValue = "none left"
		timeNote = "the errors equal " + htmlpage.Duration(equal) + " of full downtime; the " + v.Window + " window allows " + htmlpage.Duration(downtime)
	}
	v.Stats = append(v.Stats, statView{Label: "Budget in time", Value: timeValue, Note: timeNote})
	// Two burn rates, named apart: the recent one this card shows, and
	// the whole window's (BurnRate in the JSON) in its note.
	burnValue, burnNote := "no data", "no events in the last "+paceWindow
	if paceOK {
		burnValue = rate(paceBurn)
		burnNote = "1× spends the budget exactly over the window"
	}
	if !v.NoData {
		burnNote += "; " + rate(s.BurnRate) + " over the whole " + v.Window + " window so far"
	}
	v.Stats = append(v.Stats, statView{Label: "Burn rate, last " + paceWindow, Value: burnValue, Note: burnNote})
	var exhaustValue, exhaustNote string
	switch {
	case v.NoData:
		exhaustValue, exhaustNote = "no data", "nothing to project from"
	case s.Remaining <= 0:
		exhaustValue, exhaustNote = "spent", "the budget is gone for this window"
	case s.ExhaustsIn == Forever:
		exhaustValue, exhaustNote = "not burning", "no bad "+units+" in the last "+paceWindow
	default:
		exhaustValue = "in " + htmlpage.Duration(s.ExhaustsIn)
		exhaustNote = "around " + htmlpage.Stamp(at.Add(s.ExhaustsIn)) + ", at the last " + paceWindow + "'s burn rate of " + rate(paceBurn)
	}
	v.ExhaustShort = exhaustValue
	v.Stats = append(v.Stats, statView{Label: "Budget runs out", Value: exhaustValue, Note: exhaustNote, Class: pick(s.ExhaustsIn != Forever && !v.NoData, "warn", "")})
}

func chart(o Objective, s TrackerStatus, bd BurnDown, at time.Time, unit, units string, noData bool) chartView {
	c := chartView{Group: htmlpage.Duration(bd.Group), SpentUnit: "bad " + units}
	if o.Method == Timeslices {
		c.SpentUnit = "bad slices"
	}
	d0, d1 := bd.Start, bd.End
	if o.Window.Calendar == NotCalendar {
		// Room to the right of now for the projection.
		d1 = bd.At.Add(bd.Window / 5)
	}
	span := float64(d1.Sub(d0))
	x := func(t time.Time) float64 { return float64(t.Sub(d0)) / span * 1000 }

	lo := 0.0
	for _, p := range bd.Points {
		lo = min(lo, p.Remaining)
	}
	var y func(float64) float64
	c.Grid, y = grid(lo)

	var line strings.Builder
	line.Grow(14 * (len(bd.Points) + 1))
	writePoint(&line, x(bd.Start), y(1))
	for _, p := range bd.Points {
		writePoint(&line, x(p.At), y(p.Remaining))
	}
	c.Line = line.String()
	c.IdealX1, c.IdealY1 = htmlpage.Coord(x(bd.Start)), htmlpage.Coord(y(1))
	c.IdealX2, c.IdealY2 = htmlpage.Coord(x(bd.Start.Add(bd.Window))), htmlpage.Coord(y(0))
	if o.Window.Calendar != NotCalendar {
		c.IdealX2 = htmlpage.Coord(x(bd.End))
	}
	nx := x(bd.At)
	c.NowX, c.FutureW, c.NowPct = htmlpage.Coord(nx), htmlpage.Coord(1000-nx), htmlpage.Coord(nx/10)+"%"
	c.NowAnchor = pick(nx > 500, "end", "start")
	c.ZeroY = htmlpage.Coord(plotTop + y(0)/1000*plotHeight)

	rem := s.Remaining
	if !noData && rem > 0 {
		c.project(s, bd, nx, d0, d1, x, y)
	}

	c.Ticks = htmlpage.Ticks(d0, d1)

	c.Title = "Error budget burn-down of " + o.Name
	c.describe(s, bd, noData)
	c.Rows = make([]rowView, len(bd.Points))
	for i, p := range bd.Points {
		c.Rows[i] = rowView{At: htmlpage.Stamp(p.At), Good: htmlpage.Thousands(p.Good), Bad: htmlpage.Thousands(p.Bad), Spent: htmlpage.Thousands(p.Spent), Remaining: remainingText(p.Remaining)}
		if noData {
			c.Rows[i].Remaining = "no data"
		}
	}
	return c
}

// project draws the budget's projection from now at the status's recent
// burn rate: flat when it is not burning, to zero when it runs out before
// the chart's end, else to what is left there.
func (c *chartView) project(s TrackerStatus, bd BurnDown, nx float64, d0, d1 time.Time, x func(time.Time) float64, y func(float64) float64) {
	rem := s.Remaining
	var pr strings.Builder
	writePoint(&pr, nx, y(rem))
	switch {
	case s.ExhaustsIn == Forever:
		writePoint(&pr, 1000, y(rem))
	case bd.At.Add(s.ExhaustsIn).After(d1):
		left := rem * (1 - float64(d1.Sub(bd.At))/float64(s.ExhaustsIn))
		writePoint(&pr, 1000, y(left))
	default:
		ex := x(bd.At.Add(s.ExhaustsIn))
		writePoint(&pr, ex, y(0))
		c.ExhaustPct = htmlpage.Coord(ex/10) + "%"
		c.ExhaustLabel = "runs out " + shortStamp(bd.At.Add(s.ExhaustsIn), d1.Sub(d0))
		c.ExhaustAnchor = pick(ex > 500, "end", "start")
	}
	c.Projection = pr.String()
}

// describe writes the chart's text alternative.
func (c *chartView) describe(s TrackerStatus, bd BurnDown, noData bool) {
	rem := s.Remaining
	if noData {
		c.Desc = "No data: no events were recorded in the window, so the whole budget remains."
	} else {
		c.Desc = fmt.Sprintf("Budget remaining, in %d points of %s each, fell from 100%% at %s to %s at %s; the ideal line spends it evenly and reaches 0%% at %s.",
			len(bd.Points), htmlpage.Duration(bd.Group), htmlpage.Stamp(bd.Start), remainingText(rem), htmlpage.Stamp(bd.At), htmlpage.Stamp(bd.Start.Add(bd.Window)))
		switch {
		case rem <= 0:
			c.Desc += " The budget is spent."
		case s.ExhaustsIn == Forever:
			c.Desc += " It is not burning now."
		default:
			c.Desc += " At the current burn rate it runs out around " + htmlpage.Stamp(bd.At.Add(s.ExhaustsIn)) + "."
		}
	}
}

func tier(t *Tracker, tr TierResult, at time.Time) tierView {
	_, longOK := t.ErrorRateAt(at, tr.Tier.Long)
	_, shortOK := t.ErrorRateAt(at, tr.Tier.ShortWindow())
	v := tierView{
		Severity:  string(tr.Tier.Severity),
		Guard:     strconv.FormatFloat(roundSig(tr.Tier.Share(t.o.Window.Length(at))*100, 6), 'f', -1, 64) + "% of the budget in " + FormatDuration(tr.Tier.Long),
		Long:      FormatDuration(tr.Tier.Long),
		Short:     FormatDuration(tr.Tier.ShortWindow()),
		Threshold: thresholdText(tr.Threshold),
		Firing:    tr.Firing,
		Reason:    tr.Reason,
	}
	bar := func(burn float64) (string, bool) {
		// The threshold sits at the middle of the bar.
		f := burn / tr.Threshold / 2
		return htmlpage.Coord(min(f, 1)*100) + "%", burn > tr.Threshold
	}
	v.LongBurn, v.ShortBurn = "no data", "no data"
	v.LongNoData, v.ShortNoData = !longOK, !shortOK
	if longOK {
		v.LongBurn = rate(tr.LongBurn)
		v.LongBar, v.LongOver = bar(tr.LongBurn)
	}
	if shortOK {
		v.ShortBurn = rate(tr.ShortBurn)
		v.ShortBar, v.ShortOver = bar(tr.ShortBurn)
	}
	switch {
	case tr.Firing:
		v.State, v.Status = "FIRING", "firing"
	case !longOK || !shortOK:
		v.State, v.Status = "no data", "nodata"
	case v.LongOver:
		v.State, v.Status = "stopped", "stopped"
	default:
		v.State, v.Status = "ok", "ok"
	}
	return v
}

// grid returns the burn-down's horizontal lines, from 100% at the top to
// lo (at most 0) at the bottom, and the y of a share of the budget in the
// plot's 0–1000 units. Lines fall at round steps, plus 100% and 0%; their
// labels are placed so that no two overlap (see placeLabels).
func grid(lo float64) ([]gridView, func(float64) float64) {
	step := niceStep(1 - lo)
	lo = math.Floor(lo/step) * step
	y := func(v float64) float64 { return (1 - v) / (1 - lo) * 1000 }
	var g []gridView
	if math.Abs(math.Round(1/step)*step-1) > 1e-9 {
		g = append(g, gridLine(1, y, false))
	}
	for k := int(math.Round(1 / step)); float64(k)*step >= lo-1e-9; k-- {
		if float64(k)*step > 1+1e-9 {
			continue
		}
		g = append(g, gridLine(float64(k)*step, y, k == 0))
	}
	placeLabels(g)
	return g, y
}

// Label geometry, in CSS pixels: a label's baseline sits labelAbove over
// its line, or labelBelow under it; labels are at least labelGap apart,
// more than the 11px text is tall.
const (
	labelAbove = 4
	labelBelow = 13
	labelGap   = 13
)

// placeLabels puts each line's label above its line, or below it when the
// line above is too close (a budget overspent fifty times over puts 100%
// and 0% a few pixels apart), or leaves it out, line and all still drawn,
// when neither fits. g runs from the top down. 100% and 0% are placed
// first, so they always keep their labels.
func placeLabels(g []gridView) {
	var placed []float64
	fits := func(y float64) bool {
		for _, p := range placed {
			if math.Abs(p-y) < labelGap {
				return false
			}
		}
		return true
	}
	order := make([]int, 0, len(g))
	for i := range g {
		if g[i].Zero || g[i].Label == "100%" {
			order = append(order, i)
		}
	}
	for i := range g {
		if !g[i].Zero && g[i].Label != "100%" {
			order = append(order, i)
		}
	}
	for _, i := range order {
		line := plotTop + g[i].y/1000*plotHeight
		switch {
		case fits(line - labelAbove):
			g[i].labelY = line - labelAbove
		case fits(line + labelBelow):
			g[i].labelY = line + labelBelow
		default:
			g[i].Label = ""
			continue
		}
		placed = append(placed, g[i].labelY)
		g[i].LabelY = htmlpage.Coord(g[i].labelY)
	}
}

func gridLine(v float64, y func(float64) float64, zero bool) gridView {
	py := y(v)
	return gridView{
		Y:     htmlpage.Coord(py),
		y:     py,
		Label: strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%",
		Zero:  zero,
	}
}

// niceStep returns the grid step, a share of the budget, that cuts span
// into at most five parts.
func niceStep(span float64) float64 {
	for m := 1.0; ; m *= 10 {
		for _, s := range []float64{0.25, 0.5, 1} {
			if span/(s*m) <= 5 {
				return s * m
			}
		}
	}
}

func firingText(tiers []TierResult, sev Severity) string {
	var names []string
	for _, tr := range tiers {
		if tr.Firing && tr.Tier.Severity == sev {
			names = append(names, FormatDuration(tr.Tier.Long))
		}
	}
	return "the " + strings.Join(names, " and ") + " burn-rate " + pick(len(names) == 1, "tier fires", "tiers fire")
}

// observedText says how much of the window a tracker has seen and, when
// projected says so, what its budget is then a share of.
func observedText(s TrackerStatus, window, units string, projected bool) string {
	of := "the " + window + " window"
	if s.Period.Calendar != NotCalendar {
		of = "the " + htmlpage.Duration(time.Duration(math.Round(float64(s.Observed)/s.ObservedShare))) + " of the " + window + " window so far"
	}
	text := fmt.Sprintf("Observed %s of %s (%s): the tracker knows only what it has seen since it started.",
		htmlpage.Duration(s.Observed), of, sharePercent(s.ObservedShare))
	if projected {
		text += fmt.Sprintf(" The budget is judged against the %s %s the whole window would hold at the observed rate.",
			htmlpage.Thousands(int64(math.Round(s.AllowedBad/s.Budget))), units)
	}
	return text
}

// sharePercent formats a share of less than the whole as a percentage:
// to two significant digits under 1% (0.15%), else rounded down to a tenth
// (99.9%, never 100%).
func sharePercent(f float64) string {
	p := f * 100
	if p < 1 {
		return strconv.FormatFloat(roundSig(p, 2), 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(math.Floor(p*10)/10, 'f', -1, 64) + "%"
}

func remainingClass(s TrackerStatus, noData bool) string {
	switch {
	case noData:
		return ""
	case s.Remaining <= 0:
		return "bad"
	case s.Remaining < 0.25:
		return "warn"
	}
	return "good"
}

func windowText(w Window, length time.Duration) string {
	if w.Calendar == NotCalendar {
		return FormatDuration(w.Rolling)
	}
	return fmt.Sprintf("calendar %s (%s, %s)", w.Calendar, w.loc(), htmlpage.Duration(length))
}

// remainingText formats a remaining budget as the page prints it
// everywhere, the headline and the last point alike.
func remainingText(r float64) string { return htmlpage.Percent(r, 2) }

// targetDecimals is how many decimals show the difference between a
// percentage and the target: 3 for 99.9%.
func targetDecimals(target float64) int {
	return max(1, min(6, int(math.Ceil(-math.Log10(budget(target))-1e-9))))
}

// thresholdText formats a tier's threshold with the four significant
// digits of the tier's reason ("within 13.44"), never in e-notation.
func thresholdText(th float64) string {
	if th >= 1e4 {
		return strconv.FormatFloat(th, 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(th, 'g', 4, 64) + "×"
}

func rate(r float64) string {
	switch {
	case r == 0:
		return "0×"
	case r >= 100:
		return strconv.FormatFloat(r, 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(r, 'g', 3, 64) + "×"
}

func writePoint(b *strings.Builder, x, y float64) {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	var buf [32]byte
	b.Write(strconv.AppendFloat(buf[:0], x, 'f', 1, 64))
	b.WriteByte(',')
	b.Write(strconv.AppendFloat(buf[:0], y, 'f', 1, 64))
}

// shortStamp labels a time on an axis spanning span.
func shortStamp(t time.Time, span time.Duration) string {
	t = t.UTC()
	switch {
	case span > 4*24*time.Hour:
		return t.Format("Jan 2")
	case span > 24*time.Hour:
		return t.Format("Jan 2 15:04")
	}
	return t.Format("15:04")
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// page is the default page of one tracker, as Tracker.Handler serves it.
func (t *Tracker) page() *Dashboard {
	p, _ := NewDashboard(DashboardConfig{}, t) // cannot fail: one tracker, default refresh
	return p
}
