package promrules

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ybiyri/runkit/internal/promql"
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
// WindowVar (`sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`),
// which the rules fill in and wrap in sum(…), so that a template that
// leaves labels such as instance still gives one ratio.
//
// Give Total and exactly one of Bad and Good, both of one kind: two
// selectors, or two templates applying the same function (rate, increase)
// to their window's range. A selector beside a template, or templates
// over different functions, would divide unlike numbers (a selector's
// increase by a template's rate is 3,600 times too high over an hour), so
// Write refuses the mix, naming both queries. With SLO.Keep, every
// aggregation in a template must keep the kept labels (`sum by (region)
// (…)`); one that drops one would leave each value of it nothing to match,
// and Write refuses it, naming the label. A selector's matchers are
// checked; the rest of a template is not parsed here, and `promtool check
// rules` finds a mistake in it.
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

// template fills WindowVar and sums the result by the labels kept, as
// sum does a selector's increase, so that a template that leaves labels
// (instance, code) still gives one ratio per kept group.
func template(expr string, keep []string) func(w string) string {
	by := "sum("
	if len(keep) > 0 {
		by = "sum by (" + strings.Join(keep, ", ") + ") ("
	}
	return func(w string) string { return by + strings.ReplaceAll(expr, WindowVar, w) + ")" }
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
			if msg := promql.Unbalanced(expr); msg != "" {
				return nil, &Error{Field: "Ratio." + field, Msg: fmt.Sprintf("%q %s", strings.TrimSpace(expr), msg)}
			}
			if err := keepsLabels(expr, keep); err != "" {
				return nil, &Error{Field: "Ratio." + field, Msg: fmt.Sprintf("%q %s", strings.TrimSpace(expr), err)}
			}
			return template(expr, keep), nil
		case isSelector(expr):
			return sum(strings.TrimSpace(expr), keep), nil
		case strings.TrimSpace(expr) == "":
			return nil, &Error{Field: "Ratio." + field, Msg: "is empty"}
		}
		return nil, &Error{Field: "Ratio." + field, Msg: fmt.Sprintf("%q is neither a series selector nor a template with %s", expr, WindowVar)}
	}
	var s sourceExprs
	var err error
	field, events := "Bad", r.Bad
	switch {
	case r.Bad != "" && r.Good != "":
		return s, &Error{Field: "Ratio", Msg: fmt.Sprintf("sets both Bad %q and Good %q; give one", r.Bad, r.Good)}
	case r.Bad == "" && r.Good == "":
		return s, &Error{Field: "Ratio", Msg: "sets neither Bad nor Good"}
	case r.Bad != "":
		s.bad, err = wrap("Bad", r.Bad)
	default:
		field, events = "Good", r.Good
		s.good, err = wrap("Good", r.Good)
	}
	if err != nil {
		return s, err
	}
	if s.total, err = wrap("Total", r.Total); err != nil {
		return s, err
	}
	if err := sameKind(field, events, r.Total); err != nil {
		return s, err
	}
	s.describe = "the PromQL " + strings.TrimSpace(r.Total)
	return s, nil
}

// sameKind refuses a ratio whose two sides are not counted alike: a
// selector beside a template, which the rules would wrap in increase()
// while the template keeps its own function (rate() makes the ratio 3,600
// times off over an hour), or two templates over different functions.
func sameKind(field, events, total string) error {
	et, tt := strings.Contains(events, WindowVar), strings.Contains(total, WindowVar)
	events, total = strings.TrimSpace(events), strings.TrimSpace(total)
	switch {
	case et == tt && !et:
		return nil
	case !et:
		return &Error{Field: "Ratio", Msg: fmt.Sprintf("%s %q is a series selector and Total %q a template: the rules would count the selector with increase() and use the template as written, so the two sides would not be alike; write both as selectors, or %s as a template over the same function as Total, such as sum(increase(%s[%s]))", field, events, total, field, events, WindowVar)}
	case !tt:
		return &Error{Field: "Ratio", Msg: fmt.Sprintf("%s %q is a template and Total %q a series selector: the rules would count the selector with increase() and use the template as written, so the two sides would not be alike; write both as selectors, or Total as a template over the same function as %s, such as sum(increase(%s[%s]))", field, events, total, field, total, WindowVar)}
	}
	if ef, tf := rangeFuncs(events), rangeFuncs(total); !slices.Equal(ef, tf) {
		return &Error{Field: "Ratio", Msg: fmt.Sprintf("%s %q reads its window with %s and Total %q with %s: the ratio of the two would not be a share of events; use the same function on both, such as increase()", field, events, funcList(ef), total, funcList(tf))}
	}
	return nil
}

// rangeFuncs lists, sorted and once each, the functions a template applies
// to ranges over its window: for each [{{.window}}] or subquery
// [{{.window}}:…], the function whose parentheses hold it, as rate in
// rate(x{code=~"(5..)"}[{{.window}}]) and sum_over_time in
// sum_over_time((a / b)[{{.window}}:]). Quoted text is passed over.
func rangeFuncs(expr string) []string {
	code := blankQuoted(expr)
	var fs []string
	for from := 0; ; {
		i := strings.Index(code[from:], "[")
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		if !strings.HasPrefix(strings.TrimLeft(code[i+1:], " \t\n"), WindowVar) {
			continue
		}
		fs = append(fs, enclosingFunc(code, i)+"()")
	}
	slices.Sort(fs)
	return slices.Compact(fs)
}

// enclosingFunc is the name before the parenthesis that holds position i
// of code, or "" when none does or no name comes before it.
func enclosingFunc(code string, i int) string {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		switch code[j] {
		case ')':
			depth++
		case '(':
			if depth > 0 {
				depth--
				continue
			}
			k := j
			for k > 0 && (code[k-1] == ' ' || code[k-1] == '\t' || code[k-1] == '\n') {
				k--
			}
			end := k
			for k > 0 && isIdent(code[k-1]) {
				k--
			}
			return code[k:end]
		}
	}
	return ""
}

// blankQuoted returns expr with the text of every quoted string replaced
// by spaces, quotes kept, so that brackets and parentheses in label
// values do not read as PromQL's.
func blankQuoted(expr string) string {
	b := []byte(expr)
	for i := 0; i < len(b); {
		switch b[i] {
		case '"', '\'', '`':
			end := min(promql.SkipQuoted(expr, i), len(b))
			for k := i + 1; k < end-1; k++ {
				b[k] = ' '
			}
			i = end
		default:
			i++
		}
	}
	return string(b)
}

func funcList(fs []string) string {
	if len(fs) == 0 {
		return "no range function"
	}
	return strings.Join(fs, " and ")
}

// aggregators are PromQL's aggregation operators, which drop every label
// not in their by (…), or those in their without (…).
var aggregators = []string{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}

// keepsLabels says how a template drops a label of keep, or returns "":
// each aggregation in it must keep every kept label, in its by (…) or by
// leaving it out of its without (…), or the ratio per label value has
// nothing to match.
func keepsLabels(expr string, keep []string) string {
	if len(keep) == 0 {
		return ""
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = promql.SkipQuoted(expr, i)
			continue
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			word := expr[i:j]
			if i > 0 && (expr[i-1] == '.' || expr[i-1] == ':') || !slices.Contains(aggregators, word) {
				i = j
				continue
			}
			by, list, ok := grouping(expr, j)
			if !ok {
				i = j
				continue
			}
			for _, k := range keep {
				switch {
				case by == "":
					return fmt.Sprintf("aggregates with %s() over every label, dropping %s, a label Keep keeps: each value of %s would have nothing to match; write %s by (%s) (…)", word, k, k, word, strings.Join(keep, ", "))
				case by == "by" && !slices.Contains(list, k):
					return fmt.Sprintf("aggregates with %s by (%s), dropping %s, a label Keep keeps: each value of %s would have nothing to match; add %s to the by (…)", word, strings.Join(list, ", "), k, k, k)
				case by == "without" && slices.Contains(list, k):
					return fmt.Sprintf("aggregates with %s without (%s), dropping %s, a label Keep keeps: each value of %s would have nothing to match; take %s out of the without (…)", word, strings.Join(list, ", "), k, k, k)
				}
			}
			i = j
		default:
			i++
		}
	}
	return ""
}

// grouping reads the by or without clause of an aggregation whose
// operator ends at i, before or after its parenthesised argument. ok is
// false when what follows is not an aggregation (a metric or label
// named like one).
func grouping(expr string, i int) (by string, list []string, ok bool) {
	clause := func(i int) (string, []string, int) {
		i = skipSpace(expr, i)
		for _, kw := range []string{"by", "without"} {
			if strings.HasPrefix(expr[i:], kw) && (i+len(kw) == len(expr) || !isIdent(expr[i+len(kw)])) {
				k := skipSpace(expr, i+len(kw))
				if k < len(expr) && expr[k] == '(' {
					end := strings.IndexByte(expr[k:], ')')
					if end < 0 {
						return "", nil, i
					}
					var names []string
					for _, n := range strings.Split(expr[k+1:k+end], ",") {
						if n = strings.TrimSpace(n); n != "" {
							names = append(names, n)
						}
					}
					return kw, names, k + end + 1
				}
			}
		}
		return "", nil, i
	}
	by, list, i = clause(i)
	if by != "" {
		return by, list, true
	}
	if i >= len(expr) || expr[i] != '(' {
		return "", nil, false
	}
	// Skip the argument to its closing parenthesis.
	depth := 0
	for i < len(expr) {
		switch c := expr[i]; {
		case c == '"' || c == '\'' || c == '`':
			i = promql.SkipQuoted(expr, i)
			continue
		case c == '(':
			depth++
		case c == ')':
			depth--
		}
		i++
		if depth == 0 {
			break
		}
	}
	by, list, _ = clause(i)
	return by, list, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdent(c byte) bool      { return isIdentStart(c) || c >= '0' && c <= '9' }

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
		return sourceExprs{}, &Error{Field: "Latency.Threshold", Msg: fmt.Sprintf("%v is not a bucket boundary of %s (%v): the histogram cannot tell events on either side of it apart; %s", l.Threshold, h, buckets, nearest(buckets, l.Threshold))}
	}
	return sourceExprs{
		total:    sum(withMatchers(h+"_count", l.Matchers), keep),
		good:     sum(withMatchers(h+"_bucket", l.Matchers, "le=~"+strconv.Quote(leRegexp(l.Threshold))), keep),
		describe: fmt.Sprintf("the histogram %s, good at most %v", h, l.Threshold),
	}, nil
}

// nearest names the bucket boundaries on either side of v.
func nearest(buckets []float64, v float64) string {
	below, above := math.Inf(-1), math.Inf(1)
	for _, b := range buckets {
		if b < v && b > below {
			below = b
		}
		if b > v && b < above {
			above = b
		}
	}
	switch {
	case math.IsInf(below, -1) && math.IsInf(above, 1):
		return "the histogram has no boundaries"
	case math.IsInf(below, -1):
		return fmt.Sprintf("the nearest boundary is %v, the lowest", above)
	case math.IsInf(above, 1):
		return fmt.Sprintf("the nearest boundary is %v, the highest", below)
	}
	return fmt.Sprintf("the nearest boundaries are %v and %v", below, above)
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
