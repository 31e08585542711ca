package deploy

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ybiyri/runkit/internal/htmlpage"
)

// DORAReport is the four DORA keys over a period as an HTML page for
// people to look at: deployments per week, the distribution of lead times,
// change failure rate per week and time to restore per incident, as SVG
// charts drawn in Go, with the performance cluster of each key. The page
// is one self-contained file: no script, no fonts, nothing it loads; every
// chart has a text alternative and a table of its values, and every ID and
// cause is escaped.
//
// Weeks run from Start in steps of seven days; the last one may be
// shorter, and says so. Every number comes from MeasureDORA: a week's
// deployments and failure rate are MeasureDORA over that week.
type DORAReport struct {
	// Title heads the page. Empty means "DORA report".
	Title string
	// Start and End bound the period, [Start, End), as MeasureDORA reads
	// them.
	Start, End  time.Time
	Deployments []Deployment
	// Incidents is the incident record of the period; empty says there
	// were none.
	Incidents []Incident
	// IncidentsUnknown says there is no incident record: change failure
	// rate and time to restore are then shown unknown, as MeasureDORA's
	// IncidentsUnknown option has them, and Incidents must be empty.
	IncidentsUnknown bool
}

// measure is MeasureDORA over [start, end) of r's deployments and
// incidents.
func (r DORAReport) measure(start, end time.Time) (DORA, error) {
	var opts []DORAOption
	if r.IncidentsUnknown {
		opts = append(opts, IncidentsUnknown())
	}
	return MeasureDORA(start, end, r.Deployments, r.Incidents, opts...)
}

// WriteHTML measures the period and writes the page to w. It returns
// MeasureDORA's error, before writing anything, when the input does not
// measure; a period with nothing in it is a page that says so.
func (r DORAReport) WriteHTML(w io.Writer) error {
	v, err := r.view()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, v); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

//go:embed report.html
var reportHTML string

var reportTemplate = htmlpage.Parse("dora", reportHTML)

const week = 7 * 24 * time.Hour

// The view handed to the template: every number already formatted.
type (
	reportView struct {
		Title, Period string
		Refresh       int // always 0: a file does not reload
		Keys          []keyView
		Clusters      []clusterRow
		Weekly        barChart
		Leads         barChart
		Failures      barChart
		Restores      restoreChart
		Weeks         []weekRow
		LeadRows      []leadRow
	}
	keyView struct {
		Label, Value, Note, Cluster string
	}
	clusterRow struct {
		Key   string
		Cells []clusterCell
	}
	clusterCell struct {
		Text string
		Hit  bool
	}
	barChart struct {
		ID, Title, Desc, NoData string
		Height, AxisY           int
		Grid                    []gridLine
		Bars                    []bar
		Labels                  []axisLabel
	}
	gridLine struct {
		Y, LabelY, Label string
		Ref              bool // a cluster boundary, not a plain grid line
	}
	bar struct {
		X, W, CX, Title string // CX: the centre
		Segs            []segment
		Value, ValueY   string
		Minor, Empty    bool
		EmptyY          string
	}
	segment struct {
		Y, H, Class string
	}
	axisLabel struct {
		X, Label, Anchor string
		Minor            bool
	}
	restoreChart struct {
		Title, NoData string
		Refs          []restoreRef
		Rows          []restoreRow
	}
	restoreRef struct {
		X, Label string
	}
	restoreRow struct {
		W, Label, Class string
	}
	weekRow struct {
		Start, Days, Deployments, Failed, Rate string
	}
	leadRow struct {
		Range, Changes, Cluster string
	}
)

// Bar charts are drawn in the pixels of an SVG as wide as the page: bars
// at percentages across, the plot plotHeight pixels tall under a margin
// of plotTop, so that text keeps its size at any width.
const (
	plotTop    = 22
	plotHeight = 150
	axisY      = plotTop + plotHeight + 18
	barHeight  = plotTop + plotHeight + 30
)

func (r DORAReport) view() (reportView, error) {
	d, err := r.measure(r.Start, r.End)
	if err != nil {
		return reportView{}, err
	}
	v := reportView{Title: r.Title}
	if v.Title == "" {
		v.Title = "DORA report"
	}
	span := r.End.Sub(r.Start)
	weeks := int((span + week - 1) / week)
	v.Period = fmt.Sprintf("%s to %s: %s, %d %s", htmlpage.Stamp(r.Start), htmlpage.Stamp(r.End),
		htmlpage.Duration(span), weeks, plural(weeks, "week", "weeks"))

	v.Keys, v.Clusters = keys(d)

	// Week by week, through MeasureDORA, so that a week counts as the
	// period does.
	counts := make([]float64, weeks)
	failed := make([]float64, weeks)
	rates := make([]float64, weeks)
	empty := make([]bool, weeks)
	var labels []string
	for k := range weeks {
		ws := r.Start.Add(time.Duration(k) * week)
		we := ws.Add(week)
		if we.After(r.End) {
			we = r.End
		}
		wd, err := r.measure(ws, we)
		if err != nil {
			return reportView{}, err
		}
		counts[k] = float64(wd.Deployments)
		failed[k] = math.Round(wd.ChangeFailureRate * float64(wd.Deployments))
		rates[k] = wd.ChangeFailureRate
		empty[k] = wd.Deployments == 0
		labels = append(labels, ws.UTC().Format("Jan 2"))
		row := weekRow{
			Start: htmlpage.Stamp(ws), Days: htmlpage.Duration(we.Sub(ws)),
			Deployments: strconv.Itoa(wd.Deployments), Failed: strconv.Itoa(int(failed[k])), Rate: "no deployments",
		}
		if !empty[k] {
			row.Rate = htmlpage.Percent(wd.ChangeFailureRate, 1)
		}
		v.Weeks = append(v.Weeks, row)
	}
	v.Weekly = weeklyChart(counts, failed, labels, v.Weeks)
	v.Failures = failureChart(rates, empty, labels, v.Weeks)
	if r.IncidentsUnknown {
		v.Failures.Title += "; no incident record, so only the deployments marked failed count"
	}

	v.Leads, v.LeadRows = leadChart(d.LeadTimes, d)
	v.Restores = restoreChartOf(r.Start, r.End, r.Incidents)
	if r.IncidentsUnknown {
		v.Restores.NoData = "No incident record for the period"
	}
	return v, nil
}

// keys returns the four headline numbers and the cluster table.
func keys(d DORA) ([]keyView, []clusterRow) {
	perWeek := d.DeploysPerDay * 7
	freq := keyView{Label: "Deployment frequency", Value: trim(perWeek) + " a week",
		Note: fmt.Sprintf("%d %s, %s a day", d.Deployments, plural(d.Deployments, "deployment", "deployments"), trim(d.DeploysPerDay)), Cluster: d.Frequency.String()}
	if d.Duplicates > 0 {
		freq.Note += fmt.Sprintf("; %d repeated %s of the same deployments folded in", d.Duplicates, plural(d.Duplicates, "marker", "markers"))
	}
	lead := keyView{Label: "Lead time for changes", Value: "unknown", Note: "no deployment in the period", Cluster: d.LeadTime.String()}
	switch {
	case d.Deployments > 0 && d.Changes == 0:
		lead.Note = "no commit times on the deployments: give markers their commit time, or read them from git"
	case d.Changes > 0:
		lead.Value = htmlpage.Duration(d.LeadTimeMedian)
		lead.Note = fmt.Sprintf("median of %d %s; 90th percentile %s", d.Changes, plural(d.Changes, "change", "changes"), htmlpage.Duration(d.LeadTimeP90))
	}
	failed := int(math.Round(d.ChangeFailureRate * float64(d.Deployments)))
	cfr := keyView{Label: "Change failure rate", Value: "unknown", Note: "no deployment in the period", Cluster: d.FailureRate.String()}
	switch {
	case d.Deployments > 0 && d.IncidentsUnknown:
		cfr.Note = fmt.Sprintf("no incident record; %d of %d %s marked failed", failed, d.Deployments, plural(d.Deployments, "deployment", "deployments"))
	case d.Deployments > 0:
		cfr.Value = htmlpage.Percent(d.ChangeFailureRate, 1)
		cfr.Note = fmt.Sprintf("%d of %d %s caused a failure", failed, d.Deployments, plural(d.Deployments, "deployment", "deployments"))
	}
	restore := keyView{Label: "Time to restore", Value: "no incidents", Note: "the incident record holds none that started in the period", Cluster: d.Restore.String()}
	restored := d.Incidents - len(d.Open)
	switch {
	case d.IncidentsUnknown:
		restore.Value, restore.Note = "unknown", "no incident record for the period"
	case restored > 0:
		restore.Value = htmlpage.Duration(d.TimeToRestoreMedian)
		restore.Note = fmt.Sprintf("median of %d restored %s", restored, plural(restored, "incident", "incidents"))
	case len(d.Open) > 0:
		restore.Value = "none restored"
		restore.Note = "counted by the age of the oldest open incident"
	}
	if len(d.Open) > 0 {
		restore.Note += fmt.Sprintf("; %d still open, the oldest for %s at the period's end", len(d.Open), htmlpage.Duration(d.Open[0].Age))
	}
	row := func(key string, p Performance, texts [4]string) clusterRow {
		c := clusterRow{Key: key}
		for i, perf := range []Performance{Elite, High, Medium, Low} {
			c.Cells = append(c.Cells, clusterCell{Text: texts[i], Hit: p == perf})
		}
		return c
	}
	return []keyView{freq, lead, cfr, restore}, []clusterRow{
		row("Deployment frequency", d.Frequency, [4]string{"1 a day or more", "1 a week or more", "1 a month or more", "less"}),
		row("Lead time (median)", d.LeadTime, [4]string{"under 1 day", "under 1 week", "under 1 month", "longer"}),
		row("Change failure rate", d.FailureRate, [4]string{"5% or less", "10% or less", "15% or less", "more"}),
		row("Time to restore (median)", d.Restore, [4]string{"under 1 hour", "under 1 day", "under 1 week", "longer"}),
	}
}

// leadBins are the lead-time ranges of the distribution: their edges
// include the cluster boundaries of a day, a week and a month.
var leadBins = []struct {
	below   time.Duration // 0: no upper bound
	label   string
	cluster Performance
}{
	{time.Hour, "< 1h", Elite},
	{6 * time.Hour, "1–6h", Elite},
	{24 * time.Hour, "6h–1d", Elite},
	{3 * 24 * time.Hour, "1–3d", High},
	{7 * 24 * time.Hour, "3–7d", High},
	{14 * 24 * time.Hour, "1–2w", Medium},
	{30 * 24 * time.Hour, "2w–30d", Medium},
	{0, "≥ 30d", Low},
}

func leadChart(leads []time.Duration, d DORA) (barChart, []leadRow) {
	counts := make([]float64, len(leadBins))
	for _, l := range leads {
		for i, b := range leadBins {
			if b.below == 0 || l < b.below {
				counts[i]++
				break
			}
		}
	}
	c := barChart{ID: "leads", Title: "Lead time for changes: how many changes took how long from commit to production"}
	var rows []leadRow
	for i, b := range leadBins {
		rows = append(rows, leadRow{Range: b.label, Changes: strconv.Itoa(int(counts[i])), Cluster: b.cluster.String()})
	}
	if len(leads) == 0 {
		c.NoData = "No changes deployed in the period"
		c.Desc = c.NoData + "."
	} else {
		c.Desc = fmt.Sprintf("%d changes; median %s, 90th percentile %s.", len(leads), htmlpage.Duration(d.LeadTimeMedian), htmlpage.Duration(d.LeadTimeP90))
		for i, b := range leadBins {
			c.Desc += fmt.Sprintf(" %s: %d.", b.label, int(counts[i]))
		}
	}
	labels := make([]string, len(leadBins))
	classes := make([]string, len(leadBins))
	for i, b := range leadBins {
		labels[i] = b.label
		classes[i] = "c-" + b.cluster.String()
	}
	c.Height, c.AxisY = barHeight, axisY
	top := countScale(slices.Max(counts))
	c.Grid = countGrid(top)
	for i := range leadBins {
		b := barAt(i, len(leadBins))
		b.Title = fmt.Sprintf("%s: %d changes", labels[i], int(counts[i]))
		b.Segs = stack(top, []float64{counts[i]}, []string{classes[i]})
		b.Value, b.ValueY = strconv.Itoa(int(counts[i])), barValueY(counts[i]/top)
		c.Bars = append(c.Bars, b)
	}
	c.Labels = axis(labels, 1)
	return c, rows
}

func weeklyChart(counts, failed []float64, labels []string, rows []weekRow) barChart {
	c := barChart{ID: "weekly", Title: "Deployments per week, those that caused a failure in red", Height: barHeight, AxisY: axisY}
	total := 0.0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		c.NoData = "No deployments in the period"
		c.Desc = c.NoData + "."
	} else {
		c.Desc = "Deployments per week:"
		for i, row := range rows {
			c.Desc += fmt.Sprintf(" week of %s, %s (%s failed);", labels[i], row.Deployments, row.Failed)
		}
	}
	top := countScale(slices.Max(counts))
	c.Grid = countGrid(top)
	minor := len(counts) > 13
	for i := range counts {
		b := barAt(i, len(counts))
		b.Title = fmt.Sprintf("Week of %s: %d deployments, %d failed", labels[i], int(counts[i]), int(failed[i]))
		b.Segs = stack(top, []float64{counts[i] - failed[i], failed[i]}, []string{"ok", "failed"})
		b.Value, b.ValueY, b.Minor = strconv.Itoa(int(counts[i])), barValueY(counts[i]/top), minor
		c.Bars = append(c.Bars, b)
	}
	c.Labels = axis(labels, labelStep(len(labels)))
	return c
}

func failureChart(rates []float64, empty []bool, labels []string, rows []weekRow) barChart {
	c := barChart{ID: "failures", Title: "Change failure rate per week, against the cluster boundaries of 5%, 10% and 15%", Height: barHeight, AxisY: axisY}
	top := 0.2
	for _, r := range rates {
		top = max(top, math.Ceil(r/0.05)*0.05)
	}
	top = min(top, 1)
	c.Desc = "Change failure rate per week:"
	some := false
	for i, row := range rows {
		c.Desc += fmt.Sprintf(" week of %s, %s;", labels[i], row.Rate)
		some = some || !empty[i]
	}
	if !some {
		c.NoData = "No deployments in the period"
		c.Desc = c.NoData + ": no failure rate."
	}
	y := func(v float64) float64 { return plotTop + (1-v/top)*plotHeight }
	c.Grid = append(c.Grid, gridLine{Y: htmlpage.Coord(y(0)), LabelY: htmlpage.Coord(y(0) - 4), Label: "0%"})
	for _, ref := range []struct {
		v     float64
		label string
	}{{0.05, "5%"}, {0.10, "10%"}, {0.15, "15%"}} {
		c.Grid = append(c.Grid, gridLine{Y: htmlpage.Coord(y(ref.v)), LabelY: htmlpage.Coord(y(ref.v) - 4), Label: ref.label, Ref: true})
	}
	c.Grid = append(c.Grid, gridLine{Y: htmlpage.Coord(y(top)), LabelY: htmlpage.Coord(y(top) - 4), Label: htmlpage.Percent(top, 0)})
	for i, r := range rates {
		b := barAt(i, len(rates))
		if empty[i] {
			b.Title = "Week of " + labels[i] + ": no deployments"
			b.Empty, b.EmptyY = true, htmlpage.Coord(y(0)-6)
		} else {
			b.Title = fmt.Sprintf("Week of %s: %s", labels[i], rows[i].Rate)
			b.Segs = stack(top, []float64{r}, []string{cfrClass(r)})
			// Percentages need more room than counts.
			b.Value, b.ValueY, b.Minor = htmlpage.Percent(r, 0), barValueY(r/top), len(rates) > 8
		}
		c.Bars = append(c.Bars, b)
	}
	c.Labels = axis(labels, labelStep(len(labels)))
	return c
}

func cfrClass(r float64) string {
	switch {
	case r <= 0.05:
		return "c-elite"
	case r <= 0.10:
		return "c-high"
	case r <= 0.15:
		return "c-medium"
	}
	return "c-low"
}

// restoreChartOf lists the incidents that started in the period, in the
// order they started, each with a bar of its time to restore on a scale
// of the longest; an open incident's bar is its age at the period's end,
// drawn open-ended.
func restoreChartOf(start, end time.Time, incidents []Incident) restoreChart {
	c := restoreChart{Title: "Time to restore, per incident, on a scale of the longest; dashed lines mark an hour, a day and a week"}
	var in []Incident
	for _, inc := range incidents {
		if !inc.Start.Before(start) && inc.Start.Before(end) {
			in = append(in, inc)
		}
	}
	if len(in) == 0 {
		c.NoData = "No incidents started in the period"
		return c
	}
	slices.SortStableFunc(in, func(a, b Incident) int { return a.Start.Compare(b.Start) })
	length := func(inc Incident) time.Duration {
		if inc.Restored.IsZero() {
			return end.Sub(inc.Start)
		}
		return inc.Restored.Sub(inc.Start)
	}
	longest := time.Minute
	for _, inc := range in {
		longest = max(longest, length(inc))
	}
	scale := float64(longest)
	for _, ref := range []struct {
		d     time.Duration
		label string
	}{{time.Hour, "1h"}, {24 * time.Hour, "1d"}, {week, "1w"}} {
		if float64(ref.d) <= scale {
			c.Refs = append(c.Refs, restoreRef{X: htmlpage.Coord(float64(ref.d)/scale*100) + "%", Label: ref.label})
		}
	}
	for _, inc := range in {
		d := length(inc)
		label := inc.Start.UTC().Format("Jan 2 15:04") + " · " + htmlpage.Duration(d)
		class := "r-" + byDuration(d, true, time.Hour, 24*time.Hour, week).String()
		if inc.Restored.IsZero() {
			label = inc.Start.UTC().Format("Jan 2 15:04") + " · still open, for " + htmlpage.Duration(d) + " at the period's end"
			class = "open"
		}
		if inc.Cause != "" {
			label += " · caused by " + inc.Cause
		}
		c.Rows = append(c.Rows, restoreRow{W: htmlpage.Coord(max(float64(d)/scale*100, 0.3)) + "%", Label: label, Class: class})
	}
	return c
}

// gutter is the share of a bar chart's width, on the left, that holds the
// labels of its scale: enough for "15%" on a phone.
const gutter = 7.0

// slotAt returns where the slot of category i of n starts and how wide it
// is, in percent of the chart's width.
func slotAt(i, n int) (x, w float64) {
	w = (100 - gutter) / float64(n)
	return gutter + w*float64(i), w
}

// barAt places bar i of n across the width.
func barAt(i, n int) bar {
	x, w := slotAt(i, n)
	return bar{
		X:  htmlpage.Coord(x+w*0.15) + "%",
		W:  htmlpage.Coord(w*0.7) + "%",
		CX: htmlpage.Coord(x+w/2) + "%",
	}
}

// stack returns the segments of a bar of values stacked from the bottom,
// on a scale whose top is top.
func stack(top float64, values []float64, classes []string) []segment {
	var segs []segment
	base := 0.0
	for i, v := range values {
		if v <= 0 {
			continue
		}
		y0 := plotTop + (1-base/top)*plotHeight
		y1 := plotTop + (1-(base+v)/top)*plotHeight
		segs = append(segs, segment{Y: htmlpage.Coord(y1), H: htmlpage.Coord(y0 - y1), Class: classes[i]})
		base += v
	}
	return segs
}

func barValueY(share float64) string { return htmlpage.Coord(plotTop + (1-share)*plotHeight - 4) }

// countScale returns the top of a count axis: the largest value rounded
// up to a grid step, and at least 1.
func countScale(most float64) float64 {
	step := countStep(most)
	return max(step, math.Ceil(most/step)*step)
}

func countStep(most float64) float64 {
	for m := 1.0; ; m *= 10 {
		for _, s := range []float64{1, 2, 5} {
			if most/(s*m) <= 5 {
				return s * m
			}
		}
	}
}

func countGrid(top float64) []gridLine {
	step := countStep(top)
	var g []gridLine
	for v := 0.0; v <= top+1e-9; v += step {
		y := plotTop + (1-v/top)*plotHeight
		g = append(g, gridLine{Y: htmlpage.Coord(y), LabelY: htmlpage.Coord(y - 4), Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return g
}

// axis labels every step-th category; every other label is minor, for a
// narrow screen to hide.
func axis(labels []string, step int) []axisLabel {
	var out []axisLabel
	for i := 0; i < len(labels); i += step {
		x, w := slotAt(i, len(labels))
		l := axisLabel{X: htmlpage.Coord(x+w/2) + "%", Label: labels[i], Anchor: "middle", Minor: (i/step)%2 == 1}
		// Keep the outermost labels within the chart.
		switch {
		case x+w/2 > 94:
			l.X, l.Anchor = "99.5%", "end"
		case x+w/2 < 12:
			l.X, l.Anchor = htmlpage.Coord(x)+"%", "start"
		}
		out = append(out, l)
	}
	return out
}

// labelStep keeps the week labels to about eight.
func labelStep(n int) int { return max(1, (n+7)/8) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// trim formats a rate to three significant digits, or to a whole number
// from 100 up.
func trim(f float64) string {
	if f >= 100 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 3, 64)
}
