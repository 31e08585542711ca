package htmlpage

import (
	"bytes"
	_ "embed"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CSP is the Content-Security-Policy of every page: nothing may load or
// run but the page's own inline style and data: URLs. A page served over
// HTTP sends it as a header as well as in its meta element.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

//go:embed layout.html
var layout string

// Parse returns the template of a page: the layout, with the page's text
// defining "css" (its own rules) and "body" (executed with the page's
// data). The data must have the fields Title (a string) and Refresh (the
// seconds of a meta refresh, zero for none).
func Parse(name, text string) *template.Template {
	return template.Must(template.Must(template.New(name).Parse(layout)).Parse(text))
}

// Thousands formats n with comma separators: 28,810,910.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Decimal formats a count that may have a fraction: 28,810.9, or 0.02
// below one.
func Decimal(f float64) string {
	switch a := math.Abs(f); {
	case a >= 1e15:
		return strconv.FormatFloat(f, 'g', 6, 64)
	case a < 1:
		return strconv.FormatFloat(f, 'g', 2, 64)
	}
	whole := math.Trunc(f)
	s := Thousands(int64(whole))
	if frac := math.Round(math.Abs(f-whole) * 10); frac > 0 && frac < 10 {
		s += "." + strconv.Itoa(int(frac))
	}
	return s
}

// Duration rounds d to its two largest units: "3d 4h", "17m 49s".
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	units := []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	for i, u := range units {
		if d < u.d {
			continue
		}
		if i+1 == len(units) {
			return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) + "s"
		}
		next := units[i+1]
		d = d.Round(next.d)
		major, minor := d/u.d, (d%u.d)/next.d
		if minor == 0 {
			return strconv.FormatInt(int64(major), 10) + u.name
		}
		return strconv.FormatInt(int64(major), 10) + u.name + " " + strconv.FormatInt(int64(minor), 10) + next.name
	}
	return d.String()
}

// Stamp formats a time to the minute, in UTC.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Coord formats a coordinate of a chart to a tenth.
func Coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// Percent formats a share as a percentage with the given decimals.
func Percent(f float64, decimals int) string {
	return strconv.FormatFloat(f*100, 'f', decimals, 64) + "%"
}

// tickSteps are the spacings of the time axis's labels.
var tickSteps = []time.Duration{
	time.Second, 10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour, 91 * 24 * time.Hour,
}

// Tick is a label of a time axis: X is its position as a percentage of
// the axis ("37.5%"), Anchor its SVG text-anchor, and Minor is set on
// every other one, which a narrow screen hides.
type Tick struct {
	X, Label, Anchor string
	Minor            bool
}

// Ticks labels a time axis from d0 to d1 at round times (UTC), at most
// six of them; every other one is minor and hidden on a narrow screen.
func Ticks(d0, d1 time.Time) []Tick {
	span := d1.Sub(d0)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 5 {
			step = s
			break
		}
	}
	var out []Tick
	tm := d0.UTC().Truncate(step)
	if tm.Before(d0) {
		tm = tm.Add(step)
	}
	for i := 0; !tm.After(d1); i, tm = i+1, tm.Add(step) {
		f := float64(tm.Sub(d0)) / float64(span)
		label := tm.Format("15:04")
		switch {
		case step >= 24*time.Hour || (tm.Hour() == 0 && tm.Minute() == 0 && tm.Second() == 0):
			label = tm.Format("Jan 2")
		case step < time.Minute:
			label = tm.Format("15:04:05")
		}
		anchor := "middle"
		switch {
		case f < 0.06:
			anchor = "start"
		case f > 0.94:
			anchor = "end"
		}
		out = append(out, Tick{X: Coord(f*100) + "%", Label: label, Anchor: anchor, Minor: i%2 == 1})
	}
	return out
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Serve answers r with the page write produces, under CSP, never cached.
// The page is written to a buffer first, so a failed write is a 500
// naming prefix (the package, "slo" or "incident") rather than half a
// page.
func Serve(w http.ResponseWriter, r *http.Request, prefix string, write func(*bytes.Buffer) error) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := write(buf); err != nil {
		http.Error(w, prefix+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The page needs nothing from anywhere: the policy makes a browser
	// refuse to load or run anything, should a name ever slip through.
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(buf.Bytes())
}
