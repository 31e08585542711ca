package promrules_test

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

func write(t *testing.T, cfg promrules.Config, slos ...promrules.SLO) string {
	t.Helper()
	var buf bytes.Buffer
	if err := promrules.Write(&buf, cfg, slos...); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.String()
}

// ruleFile is a Prometheus rule file as the YAML library reads it.
type ruleFile struct {
	Groups []struct {
		Name     string
		Interval string
		Rules    []struct {
			Record, Alert, Expr, For string
			Labels, Annotations      map[string]string
		}
	}
}

type ruleGroup = struct {
	Name     string
	Interval string
	Rules    []struct {
		Record, Alert, Expr, For string
		Labels, Annotations      map[string]string
	}
}

// burnTier is one tier of a burn alert, as its rule says it.
type burnTier struct{ long, short, sev, threshold string }

// tierInExpr reads a tier out of an alert's expression, whose series get
// their labels from label_replace.
var tierInExpr = regexp.MustCompile(`> ([0-9.e+-]+), "short_window", "([^"]+)", "", ""\), "long_window", "([^"]+)", "", ""\), "severity", "((?:[^"\\]|\\.)*)", "", ""\)`)

// burnTiers lists the tiers of a burn alert: from its expression, or,
// for an alert of one tier alone, from its labels.
func burnTiers(t testing.TB, expr string, labels map[string]string) []burnTier {
	t.Helper()
	if labels["long_window"] != "" {
		_, th, _ := strings.Cut(expr, " > ")
		th, _, _ = strings.Cut(th, " and ")
		return []burnTier{{labels["long_window"], labels["short_window"], labels["severity"], th}}
	}
	var out []burnTier
	for _, m := range tierInExpr.FindAllStringSubmatch(expr, -1) {
		sev, err := strconv.Unquote(`"` + m[4] + `"`)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, burnTier{m[3], m[2], sev, m[1]})
	}
	if len(out) == 0 {
		t.Fatalf("no tier in %s", expr)
	}
	return out
}

// parseRules reads a rule file with the YAML library, strictly.
func parseRules(t testing.TB, out string) []ruleGroup {
	t.Helper()
	var f ruleFile
	dec := yaml.NewDecoder(strings.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("the rule file does not read back: %v\n%s", err, out)
	}
	return f.Groups
}

func objective(name string, target float64, window time.Duration) slo.Objective {
	return slo.Objective{Name: name, Target: target, Window: slo.Rolling(window)}
}

func TestWriteIsByteStableAndSorted(t *testing.T) {
	a := promrules.SLO{Objective: objective("b-search", 0.99, 7*day), Labels: map[string]string{"team": "s", "env": "prod"}, Keep: []string{"region", "az"}}
	b := promrules.SLO{Objective: objective("a-checkout", 0.999, 30*day), Source: promrules.Latency{Threshold: 1}}
	first := write(t, promrules.Config{}, a, b)
	for range 5 {
		if again := write(t, promrules.Config{}, b, a); again != first {
			t.Fatalf("Write in another order wrote other bytes:\n%s\n---\n%s", first, again)
		}
	}
	if i, j := strings.Index(first, "runkit-slo-a-checkout"), strings.Index(first, "runkit-slo-b-search"); i < 0 || j < i {
		t.Errorf("groups not sorted by name:\n%s", first)
	}
	if !strings.HasPrefix(first, "# Prometheus rules for 2 service level objectives, written by\n# github.com/ybiyri/runkit/slo/promrules.") {
		t.Errorf("header:\n%s", first[:200])
	}
}

func TestWriteNothing(t *testing.T) {
	if got := write(t, promrules.Config{}); !strings.HasSuffix(got, "groups: []\n") {
		t.Errorf("Write() = %q, want an empty rule file", got)
	}
}

// The rules page on exactly the tiers a Tracker's default policy keeps.
func TestDefaultTiersAreTheTrackers(t *testing.T) {
	for _, target := range []float64{0.8, 0.9, 0.93, 0.99, 0.999} {
		o := objective("o", target, 30*day)
		kept, _ := slo.DefaultPolicyFor(o)
		var longs []string
		for _, r := range parseRules(t, write(t, promrules.Config{}, promrules.SLO{Objective: o}))[0].Rules {
			if r.Alert == promrules.BurnAlert {
				for _, bt := range burnTiers(t, r.Expr, r.Labels) {
					longs = append(longs, bt.long)
				}
			}
		}
		var want []string
		for _, tr := range kept.Tiers {
			want = append(want, promrules.Duration(tr.Long))
		}
		if !slices.Equal(longs, want) {
			t.Errorf("target %v: burn alerts for the tiers %v, want %v", target, longs, want)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	ok := objective("checkout", 0.999, 30*day)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for _, tt := range []struct {
		name string
		cfg  promrules.Config
		slos []promrules.SLO
		want string
	}{
		{"calendar", promrules.Config{}, []promrules.SLO{{Objective: slo.Objective{Name: "m", Target: 0.99, Window: slo.CalendarWindow(slo.Month, berlin)}}},
			`objective "m": Objective.Window: calendar month in Europe/Berlin is a calendar window; PromQL has only rolling ranges`},
		{"timeslices", promrules.Config{}, []promrules.SLO{{Objective: slo.Objective{Name: "t", Target: 0.99, Window: slo.Rolling(day), Method: slo.Timeslices}}},
			`objective "t": Objective.Method: timeslices is not supported`},
		{"invalid objective", promrules.Config{}, []promrules.SLO{{Objective: objective("x", 1, day)}}, `objective "x": Target 1 out of range`},
		{"no name", promrules.Config{}, []promrules.SLO{{Objective: objective("", 0.99, day)}}, `Objective.Name: is empty`},
		{"duplicate", promrules.Config{}, []promrules.SLO{{Objective: ok}, {Objective: ok}}, `objectives 0 and 1 are both named "checkout"; give them different names, or different services`},
		{"duplicate in a service", promrules.Config{}, []promrules.SLO{{Objective: ok, Service: "shop"}, {Objective: ok, Service: "shop"}}, `objectives 0 and 1 of service "shop" are both named "checkout"`},
		{"no tier fits", promrules.Config{}, []promrules.SLO{{Objective: objective("short", 0.99, 30*time.Minute)}}, `Policy: no tier of the default policy suits a target of 0.99 over 30m (page 1h: long window 1h is longer than the window 30m; page 6h: long window 6h is longer than the window 30m; ticket 1d: long window 1d is longer than the window 30m; ticket 3d: long window 3d is longer than the window 30m); give burn-rate tiers of its own`},
		{"policy", promrules.Config{}, []promrules.SLO{{Objective: objective("p", 0.9, 30*day), Policy: &slo.Policy{Tiers: slo.DefaultPolicy().Tiers}}}, `Policy: tier 0 (page, 1h): burn-rate threshold 14.4 × budget 0.1`},
		{"keep", promrules.Config{}, []promrules.SLO{{Objective: ok, Keep: []string{"slo"}}}, `Keep["slo"]: the rules set that label themselves`},
		{"keep le", promrules.Config{}, []promrules.SLO{{Objective: ok, Keep: []string{"le"}}}, `Keep["le"]: is a histogram's bucket label, not a label of the service's series: a latency SLI's good events are one bucket, and kept by le they would not line up with the total, which has no le`},
		{"keep __name__", promrules.Config{}, []promrules.SLO{{Objective: ok, Keep: []string{"__name__"}}}, `Keep["__name__"]: starts with __, which marks a label Prometheus keeps for itself (__name__ is the metric's name): keep a label of the series, such as region`},
		{"keep __x", promrules.Config{}, []promrules.SLO{{Objective: ok, Keep: []string{"__x"}}}, `Keep["__x"]: starts with __`},
		{"keep name", promrules.Config{}, []promrules.SLO{{Objective: ok, Keep: []string{"a-b"}}}, `Keep["a-b"]: is not a Prometheus label name, which is ASCII letters, digits and underscores and does not start with a digit; give it a name that is, such as a_b,`},
		{"keep service", promrules.Config{}, []promrules.SLO{{Objective: ok, Service: "shop", Keep: []string{"service"}}}, `Keep["service"]: is the label Service "shop" sets on every series`},
		{"keep twice", promrules.Config{}, []promrules.SLO{{Objective: ok, Keep: []string{"a", "a"}}}, `Keep: [a a] repeats a label`},
		{"labels", promrules.Config{}, []promrules.SLO{{Objective: ok, Labels: map[string]string{"severity": "x"}}}, `Labels["severity"]: is a label the rules or Prometheus set themselves`},
		{"labels window", promrules.Config{}, []promrules.SLO{{Objective: ok, Labels: map[string]string{"window": "x"}}}, `Labels["window"]: is a label`},
		// A Kubernetes-style label: what a Prometheus label name allows, and
		// the name Prometheus gives the same OpenTelemetry attribute.
		{"labels kubernetes", promrules.Config{}, []promrules.SLO{{Objective: ok, Labels: map[string]string{"app.kubernetes.io/name": "checkout"}}},
			`promrules: objective "checkout": Labels["app.kubernetes.io/name"]: is not a Prometheus label name, which is ASCII letters, digits and underscores and does not start with a digit; give it a name that is, such as app_kubernetes_io_name, the name Prometheus gives the same OpenTelemetry attribute, or leave the label off the rules`},
		{"labels digit", promrules.Config{}, []promrules.SLO{{Objective: ok, Labels: map[string]string{"9lives": "x"}}}, `such as _9lives,`},
		{"labels reserved", promrules.Config{}, []promrules.SLO{{Objective: ok, Labels: map[string]string{"__name__": "x"}}}, `Labels["__name__"]: is a label`},
		{"latency bucket", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Latency{Threshold: 0.3}}}, `Latency.Threshold: 0.3 is not a bucket boundary of http_server_request_duration_seconds`},
		{"latency zero", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Latency{}}}, `Latency.Threshold: 0 is not a positive number`},
		{"latency matchers", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Latency{Threshold: 1, Matchers: `route="/x`}}}, `Latency.Matchers: "route=\"/x": unterminated value`},
		{"events matchers", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Events{Matchers: `job}`}}}, `Events.Matchers: "job}": want =, !=, =~ or !~`},
		{"ratio both", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Ratio{Bad: "a", Good: "b", Total: "c"}}}, `Ratio: sets both Bad "a" and Good "b"`},
		{"ratio neither", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Ratio{Total: "c"}}}, `Ratio: sets neither Bad nor Good`},
		{"ratio expression", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Ratio{Bad: "sum(rate(x[5m]))", Total: "y"}}}, `Ratio.Bad: "sum(rate(x[5m]))" is neither a series selector nor a template with {{.window}}`},
		{"ratio no total", promrules.Config{}, []promrules.SLO{{Objective: ok, Source: promrules.Ratio{Bad: "x"}}}, `Ratio.Total: is empty`},
		{"negative", promrules.Config{NoDataFor: -time.Second}, nil, `Config.NoDataFor -1s is negative`},
		{"severity", promrules.Config{Severity: map[slo.Severity]string{slo.Page: ""}}, nil, `Config.Severity["page"] is empty`},
		{"severity unknown", promrules.Config{Severity: map[slo.Severity]string{slo.Page: "critical", "critical": "x"}}, nil, `Config.Severity["critical"]: "critical" is not a tier severity; want page or ticket`},
		{"severity case", promrules.Config{Severity: map[slo.Severity]string{"Page": "critical"}}, nil, `Config.Severity["Page"]: "Page" is not a tier severity; want page or ticket`},
		{"no data severity", promrules.Config{NoDataSeverity: "warning"}, nil, `Config.NoDataSeverity "warning" is not a tier severity; want page or ticket`},
	} {
		var buf bytes.Buffer
		err := promrules.Write(&buf, tt.cfg, tt.slos...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Write = %v\nwant %q", tt.name, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: Write wrote %d bytes before failing", tt.name, buf.Len())
		}
		// A problem with one SLO's field is an *Error naming it.
		var e *promrules.Error
		if len(tt.slos) > 0 && !strings.HasPrefix(tt.name, "duplicate") && tt.name != "invalid objective" && (!errors.As(err, &e) || e.Field == "") {
			t.Errorf("%s: Write = %v, want a *promrules.Error with its Field", tt.name, err)
		}
	}
}

func TestLatencyMatchesLeAsPrometheus2And3WriteIt(t *testing.T) {
	for _, tt := range []struct {
		threshold float64
		want      string
	}{
		{1, `le=~"1|1\\.0"`},
		{0.25, `le=~"0\\.25"`},
		{10, `le=~"10|10\\.0"`},
		{0.00001, `le=~"0\\.00001|1e-05"`},
	} {
		out := write(t, promrules.Config{}, promrules.SLO{Objective: objective("l", 0.99, 7*day),
			Source: promrules.Latency{Threshold: tt.threshold, Buckets: []float64{0.00001, 0.25, 1, 10}}})
		if !strings.Contains(out, tt.want) {
			t.Errorf("threshold %v: no %s in\n%s", tt.threshold, tt.want, out)
		}
	}
}

// sizeWriter records the largest single write.
type sizeWriter struct{ writes, largest int }

func (w *sizeWriter) Write(p []byte) (int, error) {
	w.writes++
	w.largest = max(w.largest, len(p))
	return len(p), nil
}

// Write streams: no single write holds more than a group or two, however
// many SLOs there are.
func TestWriteStreams(t *testing.T) {
	var one bytes.Buffer
	if err := promrules.Write(&one, promrules.Config{}, thousand()[:1]...); err != nil {
		t.Fatal(err)
	}
	var w sizeWriter
	if err := promrules.Write(&w, promrules.Config{}, thousand()...); err != nil {
		t.Fatal(err)
	}
	if limit := 2*one.Len() + 64<<10; w.largest > limit || w.writes < 50 {
		t.Errorf("1,000 SLOs in %d writes, the largest %d bytes; want many writes of at most %d", w.writes, w.largest, limit)
	}
	if err := promrules.Write(io.Discard, promrules.Config{}, thousand()...); err != nil {
		t.Fatal(err)
	}
}

// What the SLO says reaches every rule intact, however odd: labels,
// runbook and names read back exactly with the YAML library.
func TestRulesReadBackExactly(t *testing.T) {
	labels := map[string]string{"team": "payments", "yes": "no", "quote": `it's "quoted"`, "unicode": "zürich €", "lines": "a\nb", "empty": "", "num": "0.5"}
	s := promrules.SLO{Objective: objective("checkout.eu-1", 0.999, 30*day), Labels: labels, RunbookURL: "https://runbooks.example/a b?x=1#y", Keep: []string{"region"}}
	groups := parseRules(t, write(t, promrules.Config{Interval: 30 * time.Second}, s))
	if len(groups) != 2 || groups[0].Name != "runkit-slo-checkout.eu-1" || groups[0].Interval != "30s" ||
		groups[1].Name != "runkit-step-checkout.eu-1" || groups[1].Interval != "5m" {
		t.Fatalf("groups %+v", groups)
	}
	for _, r := range append(groups[0].Rules, groups[1].Rules...) {
		if r.Alert == promrules.BurnAlert {
			// The series its expression returns carry the labels: the
			// recorded error ratios, read back above.
			if len(r.Labels) != 1 || r.Labels["slo"] != s.Objective.Name {
				t.Errorf("alert %s: labels %v, want slo alone", r.Alert, r.Labels)
			}
			if r.Annotations["runbook_url"] != s.RunbookURL {
				t.Errorf("alert %s: runbook_url %q", r.Alert, r.Annotations["runbook_url"])
			}
			continue
		}
		for k, v := range labels {
			if r.Labels[k] != v {
				t.Errorf("rule %s%s: label %s = %q, want %q", r.Record, r.Alert, k, r.Labels[k], v)
			}
		}
		if r.Labels["slo"] != "checkout.eu-1" {
			t.Errorf("rule %s%s: slo label %q", r.Record, r.Alert, r.Labels["slo"])
		}
		if r.Alert != "" && r.Annotations["runbook_url"] != s.RunbookURL {
			t.Errorf("alert %s: runbook_url %q", r.Alert, r.Annotations["runbook_url"])
		}
		if r.Expr == "" {
			t.Errorf("rule %s%s has no expr", r.Record, r.Alert)
		}
	}
	if err := promrules.Write(io.Discard, promrules.Config{}, promrules.SLO{Objective: objective("bad\xff", 0.99, day)}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("Write with a name that is not UTF-8 = %v", err)
	}
}

// expand expands s as Prometheus expands an alert's label or annotation:
// a text/template with {{ and }}.
func expand(t *testing.T, s string) string {
	t.Helper()
	tmpl, err := template.New("label").Parse(s)
	if err != nil {
		t.Fatalf("%q is not a template: %v", s, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return b.String()
}

// Whatever the user's matchers, expressions and labels, Write does not
// panic, and what it writes reads back as a rule file with them intact.
func FuzzWrite(f *testing.F) {
	f.Add("checkout", `job="api"`, `http_requests_total{code=~"5.."}`, `http_requests_total`, "team", "payments", 0.25)
	f.Add("a b", `job="a\"b",x!~'y'`, `sum(rate(x[{{.window}}]))`, `{__name__="t"}`, "yes", "it's", 1.0)
	f.Add("", "}", "{", "x{", "", "\n", 0.0)
	f.Add("a{{b", `job="{{"`, `sum(rate(x[{{.window}}]))`, `sum(rate(y[{{.window}}]))`, "note", "{{ $value }} {{{", 0.5)
	f.Add("k", "", `sum by (region) (rate(x{a="sum("}[{{.window}}]))`, `sum(rate(y[{{.window}}])) without (code`, "team", "t", 0.25)
	f.Fuzz(func(t *testing.T, name, matchers, bad, total, key, value string, threshold float64) {
		o := objective(name, 0.999, 30*day)
		for i, src := range []promrules.Source{
			promrules.Events{Matchers: matchers},
			promrules.Ratio{Bad: bad, Total: total},
			promrules.Latency{Matchers: matchers, Threshold: threshold},
			promrules.Ratio{Bad: bad, Total: total},
		} {
			var keep []string
			if i == 3 {
				// A template's aggregations are read for the kept label.
				keep = []string{"region"}
			}
			var buf bytes.Buffer
			err := promrules.Write(&buf, promrules.Config{}, promrules.SLO{Objective: o, Source: src, Labels: map[string]string{key: value}, Keep: keep})
			if err != nil {
				continue
			}
			groups := parseRules(t, buf.String())
			// The SLO's group, and the group of its recorded events.
			if len(groups) != 2 || groups[0].Name != "runkit-slo-"+name || groups[1].Name != "runkit-step-"+name {
				t.Fatalf("groups %+v", groups)
			}
			for _, r := range append(groups[0].Rules, groups[1].Rules...) {
				slo, v := r.Labels["slo"], r.Labels[key]
				if r.Alert != "" {
					// Prometheus expands an alert's labels as templates.
					slo, v = expand(t, slo), expand(t, v)
				}
				if r.Alert == promrules.BurnAlert {
					// The SLO's labels, slo too, come with the recorded
					// series it reads.
					slo, v = name, value
				}
				if slo != name || v != value {
					t.Fatalf("rule %s%s labels %v, want slo=%q %s=%q", r.Record, r.Alert, r.Labels, name, key, value)
				}
			}
		}
	})
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{30 * 24 * time.Hour, "30d"},
		{90 * time.Minute, "1h30m"},
		{90 * time.Second, "1m30s"},
		{1500 * time.Millisecond, "1s500ms"},
		{time.Hour + 500*time.Microsecond, "1h"},
		{500 * time.Microsecond, "0s"},
		{0, "0s"},
		{-5 * time.Minute, "0s"},
	} {
		if got := promrules.Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// The default tiers the rules write never fire while the objective is
// met: over 28 days the 3-day ticket (0.933) is left out, over 7 days
// both tickets, and over one day every tier, which is an error saying why.
func TestDefaultTiersNeverFireBelowOne(t *testing.T) {
	for _, tt := range []struct {
		window time.Duration
		longs  []string
	}{
		{30 * day, []string{"1h", "6h", "1d", "3d"}},
		{28 * day, []string{"1h", "6h", "1d"}},
		{7 * day, []string{"1h", "6h"}},
	} {
		groups := parseRules(t, write(t, promrules.Config{}, promrules.SLO{Objective: objective("o", 0.999, tt.window)}))
		var longs []string
		for _, r := range groups[0].Rules {
			if r.Alert == promrules.BurnAlert {
				for _, bt := range burnTiers(t, r.Expr, r.Labels) {
					longs = append(longs, bt.long)
					if th, err := strconv.ParseFloat(bt.threshold, 64); err != nil || th < 1 {
						t.Errorf("%v: alert %s fires at %v (%v)", tt.window, r.Expr, th, err)
					}
				}
			}
		}
		if !slices.Equal(longs, tt.longs) {
			t.Errorf("%v: burn alerts over %v, want %v", tt.window, longs, tt.longs)
		}
	}
	err := promrules.Write(io.Discard, promrules.Config{}, promrules.SLO{Objective: objective("daily", 0.999, day)})
	want := `promrules: objective "daily": Policy: no tier of the default policy suits a target of 0.999 over 1d (page 1h: burn-rate threshold 0.48 is under 1: it would fire while the objective is met`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Write(99.9%% over 1d) = %v, want %s…", err, want)
	}
}

// OmitNoData leaves out the no-data alert, and nothing else.
func TestOmitNoData(t *testing.T) {
	with := parseRules(t, write(t, promrules.Config{}, promrules.SLO{Objective: objective("o", 0.999, 30*day)}))
	without := parseRules(t, write(t, promrules.Config{}, promrules.SLO{Objective: objective("o", 0.999, 30*day), OmitNoData: true}))
	if n, m := len(with[0].Rules), len(without[0].Rules); m != n-1 {
		t.Errorf("OmitNoData: %d rules, want %d", m, n-1)
	}
	for _, r := range without[0].Rules {
		if r.Alert == promrules.NoDataAlert {
			t.Errorf("OmitNoData wrote %s", r.Alert)
		}
	}
}

// The package doc's numbers and defaults: the default tiers over 30 days
// compare at 14.4, 6, 3 and 1; Config.Severity maps a tier's severity and
// a severity not in the map is its own label; SLONoData waits
// DefaultNoDataFor (10m) with severity ticket unless Config says otherwise.
func TestThresholdsSeverityAndNoDataDefaults(t *testing.T) {
	type alert struct{ long, sev, threshold string }
	var burns []alert
	var noData []string
	o := promrules.SLO{Objective: objective("o", 0.999, 30*day)}
	for _, r := range parseRules(t, write(t, promrules.Config{Severity: map[slo.Severity]string{slo.Page: "critical"}}, o))[0].Rules {
		switch r.Alert {
		case promrules.BurnAlert:
			for _, bt := range burnTiers(t, r.Expr, r.Labels) {
				burns = append(burns, alert{bt.long, bt.sev, bt.threshold})
			}
		case promrules.NoDataAlert:
			_, sev, _ := strings.Cut(r.Expr, `"severity", "`)
			sev, _, _ = strings.Cut(sev, `"`)
			noData = []string{r.For, sev}
		}
	}
	want := []alert{{"1h", "critical", "14.4"}, {"6h", "critical", "6"}, {"1d", "ticket", "3"}, {"3d", "ticket", "1"}}
	if !slices.Equal(burns, want) {
		t.Errorf("burn alerts %v, want %v", burns, want)
	}
	if want := []string{"10m", "ticket"}; !slices.Equal(noData, want) {
		t.Errorf("SLONoData for, severity = %v, want %v", noData, want)
	}

	cfg := promrules.Config{NoDataFor: 30 * time.Minute, NoDataSeverity: slo.Page, Severity: map[slo.Severity]string{slo.Page: "critical"}}
	for _, r := range parseRules(t, write(t, cfg, o))[0].Rules {
		if r.Alert == promrules.NoDataAlert && (r.For != "30m" || !strings.Contains(r.Expr, `"severity", "critical"`)) {
			t.Errorf("SLONoData with %+v: for %s, %s; want 30m, severity critical", cfg, r.For, r.Expr)
		}
	}
}

// Whatever the default policy leaves out of an SLO's rules, the file says
// in a comment above its group, and promtool still reads the file.
func TestOmittedTiersNoted(t *testing.T) {
	out := write(t, promrules.Config{}, promrules.SLO{Objective: objective("monthly", 0.999, 28*day)}, promrules.SLO{Objective: objective("thirty", 0.999, 30*day)})
	want := "# SLO monthly: the default ticket tier over 3d (short window 6h) is left out: burn-rate threshold 0.9333 is under 1: it would fire while the objective is met, at burn rates that spend less than the budget over the window\n- name: runkit-slo-monthly\n"
	if !strings.Contains(out, want) {
		t.Errorf("no note of the 3-day ticket above the 28-day group in\n%s\nwant\n%s", out, want)
	}
	if n := strings.Count(out, "is left out"); n != 1 {
		t.Errorf("%d notes of tiers left out, want 1 (the 30-day objective keeps all four)", n)
	}
	// An explicit policy leaves nothing out.
	policy := slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: time.Hour, BudgetShare: 0.02}}}
	if out := write(t, promrules.Config{}, promrules.SLO{Objective: objective("own", 0.999, 28*day), Policy: &policy}); strings.Contains(out, "left out") {
		t.Errorf("an explicit policy noted a tier left out:\n%s", out)
	}
	if testing.Short() {
		return
	}
	promtool := tool(t, "promtool")
	run(t, promtool, "check", "rules", writeRules(t, t.TempDir(), promrules.Config{}, promrules.SLO{Objective: objective("monthly", 0.999, 28*day)}))
}
