package promrules

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// EventsMetric is runkit's event counter as Prometheus sees it: the
// runkit.slo.events counter that every slo.Tracker adds to, with labels
// slo (the objective's name) and outcome ("good" or "bad").
const EventsMetric = "runkit_slo_events_total"

// DefaultHistogram is the request duration histogram that package
// telemetry exports by default (OpenTelemetry's
// http.server.request.duration, in seconds).
const DefaultHistogram = "http_server_request_duration_seconds"

// DefaultBuckets are the bucket boundaries of DefaultHistogram, in seconds.
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// WindowVar is what a PromQL template writes where the window goes, as in
// sum(rate(requests_total{code=~"5.."}[{{.window}}])).
const WindowVar = "{{.window}}"

// A Source is where Prometheus reads an SLO's events: Events (runkit's
// own counter), Ratio (two or three PromQL expressions) or Latency (a
// histogram and a threshold).
type Source interface {
	// exprs returns the PromQL of bad and total events over window w,
	// summed by the labels kept.
	exprs(name string, keep []string) (sourceExprs, error)
}

// sourceExprs builds the sums over a window.
type sourceExprs struct {
	// total and bad return the PromQL of the events over the window, or
	// "" for bad when it is total minus good.
	total, bad, good func(w string) string
	// describe names the source in the rule file's comments.
	describe string
}

// Events reads runkit's own counter, EventsMetric, which every replica's
// slo.Tracker exports. It is the default Source.
type Events struct {
	// Matchers are more label matchers for the counter, such as
	// `job="checkout"`; empty means every series of the objective.
	Matchers string
}

// Ratio reads events from PromQL. Each expression is either a series
// selector of a counter (`http_requests_total{code=~"5.."}`), which the
// rules wrap in sum(increase(…[window])), or a template holding
// WindowVar that already sums over the window
// (`sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))`).
// Give Total and exactly one of Bad and Good. A selector's matchers are
// checked; a template is not parsed here, and `promtool check rules` finds
// a mistake in it.
type Ratio struct {
	Bad, Good, Total string
}

// Latency reads a Prometheus histogram: an event is good when it took at
// most Threshold. The threshold must be one of the histogram's bucket
// boundaries, since the histogram cannot tell anything finer.
type Latency struct {
	// Histogram is the histogram's name without _bucket or _count. Empty
	// means DefaultHistogram.
	Histogram string
	// Matchers are more label matchers, such as
	// `http_route="/checkout",http_response_status_code!~"5.."`.
	Matchers string
	// Threshold is the slowest a good event may be, in the histogram's
	// unit (seconds for DefaultHistogram).
	Threshold float64
	// Buckets are the histogram's bucket boundaries. Nil means
	// DefaultBuckets.
	Buckets []float64
}

// labelName is a Prometheus label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// metricName is a Prometheus metric name.
var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// sum wraps a counter selector: sum by (keep) (increase(sel[w])).
func sum(sel string, keep []string) func(w string) string {
	by := "sum("
	if len(keep) > 0 {
		by = "sum by (" + strings.Join(keep, ", ") + ") ("
	}
	return func(w string) string { return by + "increase(" + sel + "[" + w + "]))" }
}

// template fills WindowVar.
func template(expr string) func(w string) string {
	return func(w string) string { return "(" + strings.ReplaceAll(expr, WindowVar, w) + ")" }
}

// withMatchers adds matchers to a selector of name.
func withMatchers(name string, matchers ...string) string {
	var ms []string
	for _, m := range matchers {
		if m = strings.TrimSpace(m); m != "" {
			ms = append(ms, m)
		}
	}
	return name + "{" + strings.Join(ms, ",") + "}"
}

func (e Events) exprs(name string, keep []string) (sourceExprs, error) {
	if err := checkMatchers("Events.Matchers", e.Matchers); err != nil {
		return sourceExprs{}, err
	}
	slo := "slo=" + strconv.Quote(name)
	return sourceExprs{
		total:    sum(withMatchers(EventsMetric, slo, e.Matchers), keep),
		bad:      sum(withMatchers(EventsMetric, slo, `outcome="bad"`, e.Matchers), keep),
		describe: "runkit's event counter " + EventsMetric,
	}, nil
}

func (r Ratio) exprs(_ string, keep []string) (sourceExprs, error) {
	wrap := func(field, expr string) (func(string) string, error) {
		switch {
		case strings.Contains(expr, WindowVar):
			return template(expr), nil
		case isSelector(expr):
			return sum(strings.TrimSpace(expr), keep), nil
		case strings.TrimSpace(expr) == "":
			return nil, &Error{Field: "Ratio." + field, Msg: "is empty"}
		}
		return nil, &Error{Field: "Ratio." + field, Msg: fmt.Sprintf("%q is neither a series selector nor a template with %s", expr, WindowVar)}
	}
	var s sourceExprs
	var err error
	switch {
	case r.Bad != "" && r.Good != "":
		return s, &Error{Field: "Ratio", Msg: fmt.Sprintf("sets both Bad %q and Good %q; give one", r.Bad, r.Good)}
	case r.Bad == "" && r.Good == "":
		return s, &Error{Field: "Ratio", Msg: "sets neither Bad nor Good"}
	case r.Bad != "":
		s.bad, err = wrap("Bad", r.Bad)
	default:
		s.good, err = wrap("Good", r.Good)
	}
	if err != nil {
		return s, err
	}
	if s.total, err = wrap("Total", r.Total); err != nil {
		return s, err
	}
	s.describe = "the PromQL " + strings.TrimSpace(r.Total)
	return s, nil
}

func (l Latency) exprs(_ string, keep []string) (sourceExprs, error) {
	h := l.Histogram
	if h == "" {
		h = DefaultHistogram
	}
	if !metricName.MatchString(h) {
		return sourceExprs{}, &Error{Field: "Latency.Histogram", Msg: fmt.Sprintf("%q is not a metric name", h)}
	}
	if err := checkMatchers("Latency.Matchers", l.Matchers); err != nil {
		return sourceExprs{}, err
	}
	buckets := l.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	if math.IsNaN(l.Threshold) || math.IsInf(l.Threshold, 0) || l.Threshold <= 0 {
		return sourceExprs{}, &Error{Field: "Latency.Threshold", Msg: fmt.Sprintf("%v is not a positive number", l.Threshold)}
	}
	if !slices.Contains(buckets, l.Threshold) {
		return sourceExprs{}, &Error{Field: "Latency.Threshold", Msg: fmt.Sprintf("%v is not a bucket boundary of %s (%v): the histogram cannot tell events on either side of it apart", l.Threshold, h, buckets)}
	}
	return sourceExprs{
		total:    sum(withMatchers(h+"_count", l.Matchers), keep),
		good:     sum(withMatchers(h+"_bucket", l.Matchers, "le=~"+strconv.Quote(leRegexp(l.Threshold))), keep),
		describe: fmt.Sprintf("the histogram %s, good at most %v", h, l.Threshold),
	}, nil
}

// leRegexp matches a bucket boundary however it is written: Prometheus 2
// keeps the exposition's text ("1", "0.3"); Prometheus 3 writes whole
// numbers with ".0" ("1.0").
func leRegexp(v float64) string {
	forms := []string{
		strconv.FormatFloat(v, 'g', -1, 64),
		strconv.FormatFloat(v, 'f', -1, 64),
	}
	for _, f := range forms[:2] {
		if !strings.ContainsAny(f, ".eE") {
			forms = append(forms, f+".0")
		}
	}
	slices.Sort(forms)
	forms = slices.Compact(forms)
	for i, f := range forms {
		forms[i] = regexp.QuoteMeta(f)
	}
	return strings.Join(forms, "|")
}

// isSelector reports whether s is one series selector: a metric name,
// label matchers in braces, or both.
func isSelector(s string) bool {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] == ':' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	rest := s[i:]
	if rest == "" {
		return i > 0
	}
	if rest[0] != '{' || rest[len(rest)-1] != '}' {
		return false
	}
	return checkMatchers("", rest[1:len(rest)-1]) == nil
}

// checkMatchers checks that m reads as label matchers: name, operator,
// quoted value, separated by commas. It does not parse PromQL, only
// enough to keep a stray brace or quote from breaking the rule file.
func checkMatchers(field, m string) error {
	s := strings.TrimSpace(m)
	for s != "" {
		j := 0
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || j > 0 && s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j == 0 {
			return &Error{Field: field, Msg: fmt.Sprintf("%q: want a label name at %q", m, s)}
		}
		s = strings.TrimSpace(s[j:])
		op := ""
		for _, o := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(s, o) {
				op = o
				break
			}
		}
		if op == "" {
			return &Error{Field: field, Msg: fmt.Sprintf("%q: want =, !=, =~ or !~ at %q", m, s)}
		}
		s = strings.TrimSpace(s[len(op):])
		if s == "" || (s[0] != '"' && s[0] != '\'' && s[0] != '`') {
			return &Error{Field: field, Msg: fmt.Sprintf("%q: want a quoted value at %q", m, s)}
		}
		q := s[0]
		k := 1
		for k < len(s) && s[k] != q {
			if s[k] == '\\' && q != '`' {
				k++
			}
			k++
		}
		if k >= len(s) {
			return &Error{Field: field, Msg: fmt.Sprintf("%q: unterminated value", m)}
		}
		s = strings.TrimSpace(s[k+1:])
		if s == "" {
			break
		}
		if s[0] != ',' {
			return &Error{Field: field, Msg: fmt.Sprintf("%q: want a comma at %q", m, s)}
		}
		s = strings.TrimSpace(s[1:])
	}
	return nil
}
