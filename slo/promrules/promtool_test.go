package promrules_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

const day = 24 * time.Hour

// tool finds a binary of Debian's prometheus package. Without it the test
// skips, unless CI is set: CI must never pass by skipping.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs Debian's prometheus package", name)
		}
		t.Skipf("%s is not installed (apt-get install prometheus)", name)
	}
	return path
}

func writeRules(t *testing.T, dir string, cfg promrules.Config, slos ...promrules.SLO) string {
	t.Helper()
	path := filepath.Join(dir, "rules.yaml")
	writeRulesFile(t, path, cfg, slos...)
	return path
}

func writeRulesFile(t *testing.T, path string, cfg promrules.Config, slos ...promrules.SLO) {
	t.Helper()
	var buf bytes.Buffer
	if err := promrules.Write(&buf, cfg, slos...); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sources are the three ways of reading events, each in its two forms.
func sources(i int) []promrules.Source {
	return []promrules.Source{
		promrules.Events{},
		promrules.Events{Matchers: `job="checkout"`},
		promrules.Ratio{Bad: `http_requests_total{job="api",code=~"5.."}`, Total: `http_requests_total{job="api"}`},
		promrules.Ratio{Good: `sum by (region) (increase(http_requests_total{job="api",code!~"5.."}[{{.window}}]))`, Total: `sum by (region) (increase(http_requests_total{job="api"}[{{.window}}]))`},
		promrules.Latency{Threshold: 0.25, Matchers: fmt.Sprintf(`http_route="/r%d"`, i)},
		promrules.Latency{Histogram: "rpc_duration_milliseconds", Threshold: 300, Buckets: []float64{100, 300, 1000}},
	}
}

// promtool check rules accepts the rules of every target from 90% to
// 99.999%, every window from 1 day to 90 days, and every source.
func TestPromtoolCheckRules(t *testing.T) {
	promtool := tool(t, "promtool")
	var slos []promrules.SLO
	want := 0
	for _, target := range []float64{0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999} {
		for _, window := range []time.Duration{day, 7 * day, 28 * day, 30 * day, 90 * day} {
			for i, src := range sources(len(slos)) {
				o := slo.Objective{Name: fmt.Sprintf("t%v-w%v-s%d", target, promrules.Duration(window), i), Target: target, Window: slo.Rolling(window)}
				s := promrules.SLO{Objective: o, Source: src, RunbookURL: "https://runbooks.example/" + o.Name}
				if i%2 == 1 {
					s.Keep = []string{"region"}
					s.Labels = map[string]string{"team": "payments", "note": `it's "odd": zürich € #1`}
				}
				policy, _ := slo.DefaultPolicyFor(o)
				if len(policy.Tiers) == 0 {
					continue
				}
				windows := map[time.Duration]bool{window: true}
				for _, tr := range policy.Tiers {
					windows[tr.Long], windows[tr.ShortWindow()] = true, true
				}
				// A ratio per window, the budget, the info series, the
				// objective, budget and window as numbers, the current
				// and the period burn rates, the burn alert of every
				// tier and the no-data alert; and the bad and all events
				// of each Step, which a window of a day or more sums.
				want += len(windows) + 2 + 5 + 1 + 1 + 2
				slos = append(slos, s)
			}
		}
	}
	path := writeRules(t, t.TempDir(), promrules.Config{Severity: map[slo.Severity]string{slo.Page: "critical"}, Interval: 30 * time.Second}, slos...)
	out := run(t, promtool, "check", "rules", path)
	if !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", want)) {
		t.Errorf("promtool check rules on %d SLOs:\n%s\nwant %d rules", len(slos), out, want)
	}
}

// unitTest is promtool's rule unit test file.
type unitTest struct {
	RuleFiles          []string   `yaml:"rule_files"`
	EvaluationInterval string     `yaml:"evaluation_interval"`
	Tests              []testCase `yaml:"tests"`
}

type testCase struct {
	Name        string        `yaml:"name,omitempty"`
	Interval    string        `yaml:"interval"`
	InputSeries []inputSeries `yaml:"input_series"`
	Alerts      []alertTest   `yaml:"alert_rule_test,omitempty"`
	Exprs       []exprTest    `yaml:"promql_expr_test,omitempty"`
}

type inputSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertTest struct {
	EvalTime  string     `yaml:"eval_time"`
	AlertName string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	Labels      map[string]string `yaml:"exp_labels"`
	Annotations map[string]string `yaml:"exp_annotations,omitempty"`
}

type exprTest struct {
	Expr       string      `yaml:"expr"`
	EvalTime   string      `yaml:"eval_time"`
	ExpSamples []expSample `yaml:"exp_samples"`
}

type expSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// counters returns the runkit event counters of an objective that sees
// total events a minute, a share bad of them bad, for minutes minutes.
func counters(name string, total, bad float64, minutes int) []inputSeries {
	return []inputSeries{
		{Series: fmt.Sprintf(`runkit_slo_events_total{slo=%q,outcome="good",instance="a"}`, name), Values: fmt.Sprintf("0+%vx%d", total-bad, minutes)},
		{Series: fmt.Sprintf(`runkit_slo_events_total{slo=%q,outcome="bad",instance="a"}`, name), Values: fmt.Sprintf("0+%vx%d", bad, minutes)},
	}
}

// tierLabels are the labels of a tier's alert.
func tierLabels(name string, tr slo.Tier) map[string]string {
	return map[string]string{"slo": name, "severity": string(tr.Severity),
		"long_window": promrules.Duration(tr.Long), "short_window": promrules.Duration(tr.ShortWindow())}
}

// burnAnnotations are the annotations of a firing tier of the checkout
// objective, with the numbers Go computes: its alert holds every default
// tier.
func burnAnnotations(r slo.TierResult) map[string]string {
	long := promrules.Duration(r.Tier.Long)
	policy, _ := slo.DefaultPolicyFor(objective("checkout", 0.999, 30*day))
	var says []string
	for _, tr := range policy.Tiers {
		th := tr.Threshold(30 * day)
		says = append(says, fmt.Sprintf("%s %v times over %s and %s (%.3g%% of the budget within %s, all of it within %s)",
			tr.Severity, th, promrules.Duration(tr.Long), promrules.Duration(tr.ShortWindow()), 100*tr.Share(30*day), promrules.Duration(tr.Long), promrules.Duration(time.Duration(float64(30*day)/th))))
	}
	return map[string]string{
		"summary":     fmt.Sprintf("SLO checkout burns its error budget %.3g times too fast over %s", r.LongBurn, long),
		"description": "SLO checkout promises 99.9% good events over 30d, an error budget of 0.1%. This alert fires while errors burn it faster than 30d allows, over both windows of a tier: " + strings.Join(says, ", or ") + ". The share left is runkit:slo_budget_remaining:ratio.",
	}
}

// runUnitTest writes the rules and the test file, and runs promtool test
// rules on them.
func runUnitTest(t *testing.T, promtool string, interval time.Duration, cases []testCase, slos ...promrules.SLO) {
	t.Helper()
	runUnitTestConfig(t, promtool, promrules.Config{}, interval, cases, slos...)
}

func runUnitTestConfig(t *testing.T, promtool string, cfg promrules.Config, interval time.Duration, cases []testCase, slos ...promrules.SLO) {
	t.Helper()
	dir := t.TempDir()
	writeRules(t, dir, cfg, slos...)
	ut := unitTest{RuleFiles: []string{"rules.yaml"}, EvaluationInterval: promrules.Duration(interval), Tests: cases}
	data, err := yaml.Marshal(ut)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "test.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "test", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s\ntest file:\n%s", err, out, data)
	}
}

// promtool test rules, with series and expectations from the same Go math
// the tracker uses: slo.Policy.Evaluate and slo.Objective.Evaluate.
func TestPromtoolTestRules(t *testing.T) {
	promtool := tool(t, "promtool")
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * day)}
	policy, _ := slo.DefaultPolicyFor(o)
	page := policy.Tiers[0]
	const perMinute = 1000.0

	t.Run("page fires within the short window plus one evaluation", func(t *testing.T) {
		// An error ratio of 1.05 × the page threshold × budget, from the
		// start of the series.
		ratio := 1.05 * page.Threshold(o.Window.Rolling) * o.Budget()
		results := policy.Evaluate(o, o.Window.Rolling, func(time.Duration) (float64, bool) { return ratio, true })
		var exp []expAlert
		for _, r := range results {
			if !r.Firing {
				continue
			}
			exp = append(exp, expAlert{Labels: tierLabels(o.Name, r.Tier), Annotations: burnAnnotations(r)})
		}
		if len(exp) != len(policy.Tiers) || !results[0].Firing {
			t.Fatalf("Policy.Evaluate at ratio %v: %+v, want every tier firing", ratio, results)
		}
		at := promrules.Duration(page.ShortWindow() + time.Minute)
		runUnitTest(t, promtool, time.Minute, []testCase{{
			Interval:    "1m",
			InputSeries: counters(o.Name, perMinute, ratio*perMinute, 60),
			Alerts: []alertTest{
				{EvalTime: at, AlertName: promrules.BurnAlert, ExpAlerts: exp},
				{EvalTime: at, AlertName: promrules.NoDataAlert},
			},
		}}, promrules.SLO{Objective: o})
	})

	t.Run("0.9 of the lowest threshold fires nothing over the longest window", func(t *testing.T) {
		lowest, longest := page, time.Duration(0)
		for _, tr := range policy.Tiers {
			if tr.Threshold(o.Window.Rolling) < lowest.Threshold(o.Window.Rolling) {
				lowest = tr
			}
			longest = max(longest, tr.Long)
		}
		ratio := 0.9 * lowest.Threshold(o.Window.Rolling) * o.Budget()
		for _, r := range policy.Evaluate(o, o.Window.Rolling, func(time.Duration) (float64, bool) { return ratio, true }) {
			if r.Firing {
				t.Fatalf("Policy.Evaluate at ratio %v: tier %v fires", ratio, r.Tier)
			}
		}
		// Every half hour over the whole longest window, nothing fires.
		const step = 5 * time.Minute
		steps := int((longest + time.Hour) / step)
		var alerts []alertTest
		for at := step; at <= longest+time.Hour; at += 30 * time.Minute {
			for _, name := range []string{promrules.BurnAlert, promrules.NoDataAlert} {
				alerts = append(alerts, alertTest{EvalTime: promrules.Duration(at), AlertName: name})
			}
		}
		runUnitTest(t, promtool, step, []testCase{{
			Interval:    promrules.Duration(step),
			InputSeries: counters(o.Name, 5*perMinute, 5*ratio*perMinute, steps),
			Alerts:      alerts,
		}}, promrules.SLO{Objective: o})
	})

	t.Run("absent series fire the no-data alert after its for; zero traffic fires nothing", func(t *testing.T) {
		noData := expAlert{Labels: map[string]string{"slo": o.Name, "severity": "ticket"}, Annotations: map[string]string{
			"summary":     "SLO checkout has had no series of its events for 10m",
			"description": "No series of the events of SLO checkout (runkit's event counter runkit_slo_events_total) for 10m: the exporter, the scrape or the relabelling is broken, or no replica runs. Flat counters, a quiet night, do not fire this. Until the series are back, the SLO's burn-rate alerts see nothing.",
		}}
		var quiet []alertTest
		for _, at := range []string{"10m", "25m", "1h", "2h"} {
			quiet = append(quiet, alertTest{EvalTime: at, AlertName: promrules.NoDataAlert}, alertTest{EvalTime: at, AlertName: promrules.BurnAlert})
		}
		runUnitTest(t, promtool, time.Minute, []testCase{
			{
				// No replica reports anything: the series are absent.
				Interval: "1m",
				Alerts: []alertTest{
					{EvalTime: "9m", AlertName: promrules.NoDataAlert},
					{EvalTime: "10m", AlertName: promrules.NoDataAlert, ExpAlerts: []expAlert{noData}},
					{EvalTime: "25m", AlertName: promrules.NoDataAlert, ExpAlerts: []expAlert{noData}},
					{EvalTime: "1h", AlertName: promrules.NoDataAlert, ExpAlerts: []expAlert{noData}},
					{EvalTime: "10m", AlertName: promrules.BurnAlert},
					{EvalTime: "25m", AlertName: promrules.BurnAlert},
				},
			},
			{
				// Counters that stand still: a quiet night.
				Interval:    "1m",
				InputSeries: counters(o.Name, 0, 0, 120),
				Alerts:      quiet,
			},
		}, promrules.SLO{Objective: o})
	})

	t.Run("budget remaining is slo.Evaluate's to 1e-9", func(t *testing.T) {
		var exprs []exprTest
		var input []inputSeries
		var slos []promrules.SLO
		for i, c := range []struct {
			target   float64
			bad      float64 // a minute, of perMinute
			minutes  int
			evalTime time.Duration
		}{
			{0.999, 0.5, 120, 2 * time.Hour},
			{0.99, 3, 600, 10 * time.Hour},
			{0.9999, 0.05, 1440, day},
			{0.95, 80, 90, time.Hour},
		} {
			name := fmt.Sprintf("remaining-%d", i)
			oo := slo.Objective{Name: name, Target: c.target, Window: slo.Rolling(30 * day)}
			total := int64(perMinute) * int64(c.minutes)
			bad := int64(c.bad * float64(c.minutes))
			if float64(bad) != c.bad*float64(c.minutes) {
				t.Fatalf("case %d: bad events %v are not whole", i, c.bad*float64(c.minutes))
			}
			s, err := oo.Evaluate(total-bad, total)
			if err != nil {
				t.Fatal(err)
			}
			input = append(input, counters(name, perMinute, c.bad, c.minutes)...)
			exprs = append(exprs, exprTest{
				Expr:       fmt.Sprintf(`abs(%s{slo=%q} - %v) < bool 1e-9`, promrules.BudgetRemaining, name, s.Remaining),
				EvalTime:   promrules.Duration(c.evalTime),
				ExpSamples: []expSample{{Labels: fmt.Sprintf(`{slo=%q}`, name), Value: 1}},
			})
			slos = append(slos, promrules.SLO{Objective: oo, Policy: &slo.Policy{Tiers: []slo.Tier{page}}})
		}
		runUnitTest(t, promtool, time.Minute, []testCase{{Interval: "1m", InputSeries: input, Exprs: exprs}}, slos...)
	})

	t.Run("sources read as Prometheus 2 and 3 write them", func(t *testing.T) {
		near := func(name string, want float64) exprTest {
			return exprTest{
				Expr:       fmt.Sprintf(`abs(%s5m{slo=%q} - %v) < bool 1e-12`, promrules.ErrorRatio, name, want),
				EvalTime:   "30m",
				ExpSamples: []expSample{{Labels: fmt.Sprintf(`{slo=%q}`, name), Value: 1}},
			}
		}
		window := slo.Rolling(7 * day)
		runUnitTest(t, promtool, time.Minute, []testCase{{
			Interval: "1m",
			InputSeries: []inputSeries{
				// Prometheus 3 writes the boundary 1 as "1.0", Prometheus 2
				// as the exposition did.
				{Series: `http_server_request_duration_seconds_bucket{job="v3",le="1.0"}`, Values: "0+95x60"},
				{Series: `http_server_request_duration_seconds_bucket{job="v3",le="+Inf"}`, Values: "0+100x60"},
				{Series: `http_server_request_duration_seconds_count{job="v3"}`, Values: "0+100x60"},
				{Series: `http_server_request_duration_seconds_bucket{job="v2",le="1"}`, Values: "0+90x60"},
				{Series: `http_server_request_duration_seconds_bucket{job="v2",le="+Inf"}`, Values: "0+100x60"},
				{Series: `http_server_request_duration_seconds_count{job="v2"}`, Values: "0+100x60"},
				// No replica has failed yet: the 5xx series does not exist.
				{Series: `http_requests_total{job="api",code="200"}`, Values: "0+100x60"},
			},
			Exprs: []exprTest{near("latency-v3", 0.05), near("latency-v2", 0.1), near("no-errors-yet", 0)},
		}},
			promrules.SLO{Objective: slo.Objective{Name: "latency-v3", Target: 0.9, Window: window}, Source: promrules.Latency{Threshold: 1, Matchers: `job="v3"`}},
			promrules.SLO{Objective: slo.Objective{Name: "latency-v2", Target: 0.9, Window: window}, Source: promrules.Latency{Threshold: 1, Matchers: `job="v2"`}},
			promrules.SLO{Objective: slo.Objective{Name: "no-errors-yet", Target: 0.99, Window: window}, Source: promrules.Ratio{Bad: `http_requests_total{job="api",code=~"5.."}`, Total: `http_requests_total{job="api"}`}},
		)
	})
}

// A tier's For is the alert's for: the burn must go on that long before
// the alert fires, pending until then (OpenSLO's alertAfter).
func TestPromtoolTierFor(t *testing.T) {
	promtool := tool(t, "promtool")
	o := slo.Objective{Name: "held", Target: 0.999, Window: slo.Rolling(30 * day)}
	policy := slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: time.Hour, BudgetShare: 0.02, For: 10 * time.Minute}}}
	out := write(t, promrules.Config{}, promrules.SLO{Objective: o, Policy: &policy})
	if !strings.Contains(out, "  for: 10m\n") {
		t.Errorf("no for: 10m in\n%s", out)
	}
	state := func(at, s string) exprTest {
		return exprTest{
			Expr:       fmt.Sprintf(`ALERTS{alertname=%q,alertstate=%q}`, promrules.BurnAlert, s),
			EvalTime:   at,
			ExpSamples: []expSample{{Labels: fmt.Sprintf(`{__name__="ALERTS",alertname=%q,alertstate=%q,long_window="1h",severity="page",short_window="5m",slo="held"}`, promrules.BurnAlert, s), Value: 1}},
		}
	}
	none := func(at, s string) exprTest {
		return exprTest{Expr: fmt.Sprintf(`ALERTS{alertname=%q,alertstate=%q}`, promrules.BurnAlert, s), EvalTime: at}
	}
	runUnitTest(t, promtool, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: counters("held", 100, 100, 60),
		Exprs:       []exprTest{state("5m", "pending"), none("5m", "firing"), state("20m", "firing"), none("20m", "pending")},
	}}, promrules.SLO{Objective: o, Policy: &policy})

	// Tiers whose For differ are alerts of their own, their labels the
	// rules': promtool finds no two alerts alike, and each tier keeps its
	// For.
	mixed := slo.Policy{Tiers: []slo.Tier{policy.Tiers[0], {Severity: slo.Ticket, Long: 6 * time.Hour, BudgetShare: 0.05}}}
	run(t, promtool, "check", "rules", writeRules(t, t.TempDir(), promrules.Config{}, promrules.SLO{Objective: o, Policy: &mixed}))
	alerts := func(at, s string, windows ...[2]string) exprTest {
		e := exprTest{Expr: fmt.Sprintf(`ALERTS{alertname=%q,alertstate=%q}`, promrules.BurnAlert, s), EvalTime: at}
		for _, w := range windows {
			sev := map[string]string{"1h": "page", "6h": "ticket"}[w[0]]
			e.ExpSamples = append(e.ExpSamples, expSample{Labels: fmt.Sprintf(`{__name__="ALERTS",alertname=%q,alertstate=%q,long_window=%q,severity=%q,short_window=%q,slo="held"}`, promrules.BurnAlert, s, w[0], sev, w[1]), Value: 1})
		}
		return e
	}
	page, ticket := [2]string{"1h", "5m"}, [2]string{"6h", "30m"}
	runUnitTest(t, promtool, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: counters("held", 100, 100, 60),
		Exprs:       []exprTest{alerts("5m", "pending", page), alerts("5m", "firing", ticket), alerts("20m", "firing", page, ticket)},
	}}, promrules.SLO{Objective: o, Policy: &mixed})
}

// Alerts whose severity Config.Severity maps carry the tier's own severity
// as slo_severity too, in one alert for every tier and in an alert per
// tier alike; SLONoData's as well. Unmapped, no slo_severity is added.
func TestPromtoolMappedSeverity(t *testing.T) {
	promtool := tool(t, "promtool")
	o := slo.Objective{Name: "mapped", Target: 0.999, Window: slo.Rolling(30 * day)}
	cfg := promrules.Config{Severity: map[slo.Severity]string{slo.Page: "critical", slo.Ticket: "warning"}, NoDataFor: 5 * time.Minute}
	firing := func(long, short, sev, tier string) string {
		return fmt.Sprintf(`{__name__="ALERTS",alertname=%q,alertstate="firing",long_window=%q,severity=%q,short_window=%q,slo="mapped",slo_severity=%q}`, promrules.BurnAlert, long, sev, short, tier)
	}
	burning := func(at string) []exprTest {
		return []exprTest{
			{Expr: fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",long_window="1h"}`, promrules.BurnAlert), EvalTime: at,
				ExpSamples: []expSample{{Labels: firing("1h", "5m", "critical", "page"), Value: 1}}},
			{Expr: fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",long_window="1d"}`, promrules.BurnAlert), EvalTime: at,
				ExpSamples: []expSample{{Labels: firing("1d", "2h", "warning", "ticket"), Value: 1}}},
		}
	}
	// 100% errors for an hour, then nothing: every tier fires, then the
	// SLI's series go absent.
	series := counters("mapped", 100, 100, 60)
	noData := exprTest{Expr: fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing"}`, promrules.NoDataAlert), EvalTime: "80m",
		ExpSamples: []expSample{{Labels: fmt.Sprintf(`{__name__="ALERTS",alertname=%q,alertstate="firing",severity="warning",slo="mapped",slo_severity="ticket"}`, promrules.NoDataAlert), Value: 1}}}
	runUnitTestConfig(t, promtool, cfg, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: series,
		Exprs:       append(burning("20m"), noData),
	}}, promrules.SLO{Objective: o})

	// Tiers whose For differ: an alert per tier, the labels the rules'.
	policy, _ := slo.DefaultPolicyFor(o)
	policy.Tiers[1].For = time.Minute
	runUnitTestConfig(t, promtool, cfg, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: series,
		Exprs:       burning("20m"),
	}}, promrules.SLO{Objective: o, Policy: &policy})

	// Unmapped: the severity is the tier's, and no slo_severity.
	runUnitTest(t, promtool, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: series,
		Exprs: []exprTest{{Expr: fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing",long_window="1h"}`, promrules.BurnAlert), EvalTime: "20m",
			ExpSamples: []expSample{{Labels: fmt.Sprintf(`{__name__="ALERTS",alertname=%q,alertstate="firing",long_window="1h",severity="page",short_window="5m",slo="mapped"}`, promrules.BurnAlert), Value: 1}}}},
	}}, promrules.SLO{Objective: o})
}
