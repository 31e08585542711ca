package openslo_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
)

const day = 24 * time.Hour

func readFleet(t testing.TB) []openslo.SLO {
	t.Helper()
	slos, err := openslo.ReadFiles("testdata/fleet.yaml")
	if err != nil {
		t.Fatalf("ReadFiles: %v", err)
	}
	return slos
}

func TestParseEveryKind(t *testing.T) {
	slos := readFleet(t)
	if len(slos) != 3 {
		t.Fatalf("got %d SLOs, want 3", len(slos))
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	checkout, search, latency := slos[0], slos[1], slos[2]

	// indicatorRef resolves, and the DataSource fills in the type.
	r := checkout.Indicator.Ratio
	if checkout.Indicator.Name != "checkout-errors" || r == nil || r.Counter == nil || !*r.Counter ||
		r.Bad.Query() != `http_requests_total{job="checkout",code=~"5.."}` || r.Total.Type != "Prometheus" || r.Good != nil {
		t.Errorf("checkout indicator = %+v, ratio %+v", checkout.Indicator, r)
	}
	wantObj := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * day)}
	if len(checkout.Objectives) != 1 || checkout.Objectives[0].Objective != wantObj || checkout.Objectives[0].DisplayName != "Available" {
		t.Errorf("checkout objectives = %+v, want %+v", checkout.Objectives, wantObj)
	}
	if got := checkout.Labels; !reflect.DeepEqual(got, map[string][]string{"team": {"payments"}, "tier": {"tier-1", "critical"}}) {
		t.Errorf("labels = %v", got)
	}
	if checkout.Position.String() != "testdata/fleet.yaml:68:1" {
		t.Errorf("Position = %v", checkout.Position)
	}

	// Alert policies by reference and inline become tiers.
	wantPolicy := &slo.Policy{Tiers: []slo.Tier{
		{Severity: slo.Page, Long: time.Hour, For: 5 * time.Minute, BudgetShare: 0.02},
		{Severity: slo.Ticket, Long: 3 * day, For: 6 * time.Hour, BudgetShare: 0.1},
	}}
	if got := checkout.Policy(); !reflect.DeepEqual(got, wantPolicy) {
		t.Errorf("Policy() = %+v, want %+v", got, wantPolicy)
	}
	for i, tr := range checkout.Policy().Tiers {
		if th := tr.Threshold(30 * day); th != checkout.AlertPolicies[i].Condition.Threshold {
			t.Errorf("tier %d threshold %v, want the condition's %v", i, th, checkout.AlertPolicies[i].Condition.Threshold)
		}
	}
	ap := checkout.AlertPolicies[0]
	if ap.AlertWhenBreaching == nil || !*ap.AlertWhenBreaching || ap.Condition.Name != "fast-burn" || len(ap.NotificationTargets) != 1 || ap.NotificationTargets[0].Target != "pagerduty" {
		t.Errorf("alert policy 0 = %+v", ap)
	}

	// Calendar windows in a zone, timeslices, several objectives, and
	// targetPercent read exactly.
	want := []slo.Objective{
		{Name: "search-most-minutes", Target: 0.995, Window: slo.CalendarWindow(slo.Month, berlin), Method: slo.Timeslices, SliceTarget: 0.95, Slice: 5 * time.Minute},
		{Name: "search-nearly-all-minutes", Target: 0.999, Window: slo.CalendarWindow(slo.Month, berlin), Method: slo.Timeslices, SliceTarget: 0.9, Slice: time.Minute},
	}
	for i, o := range search.Objectives {
		if o.Name != want[i].Name || o.Target != want[i].Target || o.Window.Calendar != slo.Month || o.Window.Location.String() != "Europe/Berlin" ||
			o.Method != want[i].Method || o.SliceTarget != want[i].SliceTarget || o.Slice != want[i].Slice {
			t.Errorf("search objective %d = %+v, want %+v", i, o.Objective, want[i])
		}
	}
	if search.Policy() != nil {
		t.Errorf("search Policy() = %+v, want nil (no alert policies)", search.Policy())
	}

	// A thresholdMetric keeps its operator and value.
	lo := latency.Objectives[0]
	if latency.Indicator.Threshold == nil || lo.Op != "lte" || lo.Value != 0.3 || lo.Window.Rolling != 28*day {
		t.Errorf("latency = %+v %+v", latency.Indicator, lo)
	}

	// Every objective feeds a tracker as it is.
	for _, s := range slos {
		for _, o := range s.Objectives {
			if _, err := slo.NewTracker(o.Objective, slo.TrackerConfig{Policy: s.Policy()}); err != nil {
				t.Errorf("NewTracker(%s): %v", o.Name, err)
			}
		}
	}
}

// clearPositions drops what a second reading cannot keep.
func clearPositions(slos []openslo.SLO) []openslo.SLO {
	out := append([]openslo.SLO(nil), slos...)
	for i := range out {
		out[i].Position = openslo.Position{}
		out[i].FieldPositions = openslo.Positions{}
	}
	return out
}

func roundTrip(t testing.TB, slos []openslo.SLO) []openslo.SLO {
	t.Helper()
	var buf bytes.Buffer
	if err := openslo.Write(&buf, slos...); err != nil {
		t.Fatalf("Write: %v", err)
	}
	again, err := openslo.Parse("written.yaml", buf.Bytes())
	if err != nil {
		t.Fatalf("Parse(Write(…)): %v\n%s", err, buf.Bytes())
	}
	return again
}

func TestWriteThenParseIsIdentity(t *testing.T) {
	slos := readFleet(t)
	again := roundTrip(t, slos)
	if !reflect.DeepEqual(clearPositions(slos), clearPositions(again)) {
		t.Errorf("read → write → read changed the SLOs:\n%#v\n%#v", slos, again)
	}
}

func TestWriteObjectiveFromGo(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.9995, Window: slo.Rolling(7 * day), Method: slo.Timeslices}
	s := openslo.New(o, openslo.Indicator{Ratio: &openslo.RatioMetric{
		Bad:   &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": `runkit_slo_events_total{slo="api",outcome="bad"}`}},
		Total: &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": `runkit_slo_events_total{slo="api"}`}},
	}})
	got := roundTrip(t, []openslo.SLO{s})
	// Zero SliceTarget and Slice mean Target and one minute; a file
	// says so.
	want := o
	want.SliceTarget, want.Slice = o.Target, time.Minute
	if len(got) != 1 || got[0].Objectives[0].Objective != want || got[0].Indicator.Name != "api-sli" {
		t.Errorf("round trip of %+v = %+v", o, got)
	}
}

func TestWriteRejectsWhatOpenSLOCannotSay(t *testing.T) {
	ind := openslo.Indicator{Threshold: &openslo.MetricSource{Spec: map[string]any{"query": "up"}}}
	withOp := func(s openslo.SLO) openslo.SLO {
		s.Objectives[0].Op, s.Objectives[0].Value = "gte", 1
		return s
	}
	for _, tt := range []struct {
		name string
		s    openslo.SLO
		want string
	}{
		{"seconds", withOp(openslo.New(slo.Objective{Name: "a", Target: 0.9, Window: slo.Rolling(90 * time.Second)}, ind)), "not a whole number of minutes"},
		{"no indicator", openslo.New(slo.Objective{Name: "a", Target: 0.9, Window: slo.Rolling(day)}, openslo.Indicator{}), "exactly one of Ratio and Threshold"},
		{"bad target", withOp(openslo.New(slo.Objective{Name: "a", Target: 1, Window: slo.Rolling(day)}, ind)), "Target 1 out of range"},
		{"no name", openslo.SLO{Indicator: ind}, "metadata.name is empty"},
		{"threshold without op", openslo.New(slo.Objective{Name: "a", Target: 0.9, Window: slo.Rolling(day)}, ind), "needs Op and Value"},
	} {
		if err := openslo.Write(&bytes.Buffer{}, tt.s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Write = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// sloDoc is a valid SLO document that the error cases edit.
const sloDoc = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  indicator:
    metadata:
      name: errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: errors_total
        total:
          metricSource:
            type: Prometheus
            spec:
              query: requests_total
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
`

func TestParseErrorsNameFileLineColumnFieldAndValue(t *testing.T) {
	if _, err := openslo.Parse("ok.yaml", []byte(sloDoc)); err != nil {
		t.Fatalf("the base document: %v", err)
	}
	for _, tt := range []struct {
		name, old, new string
		want           string
	}{
		{"unknown field", "spec:\n", "spec:\n  servce: shop\n", "f.yaml:6:3: spec.servce: unknown field"},
		{"wrong type", "    - target: 0.999", "    - target: high", `f.yaml:27:15: spec.objectives[0].target high: want a number, got a string`},
		{"target out of range", "    - target: 0.999", "    - target: 1.5", "f.yaml:27:15: spec.objectives[0].target 1.5: out of range (0, 1)"},
		{"percent out of range", "    - target: 0.999", "    - targetPercent: 100", "f.yaml:27:22: spec.objectives[0].targetPercent 100: out of range (0, 100)"},
		{"percent under 1", "    - target: 0.999", "    - targetPercent: 0.5", "f.yaml:27:22: spec.objectives[0].targetPercent 0.5: reads as 0.5%, a percentage under 1%"},
		{"both targets", "    - target: 0.999", "    - target: 0.999\n      targetPercent: 99.9", "spec.objectives[0].targetPercent 99.9: cannot be given with target"},
		{"bad duration", "duration: 30d", "duration: 30days", "f.yaml:23:17: spec.timeWindow[0].duration 30days: unit"},
		{"rolling month", "duration: 30d", "duration: 1M", `spec.timeWindow[0].duration 1M: unit "M" is not one of m, h, d, w`},
		{"apiVersion", "openslo/v1", "openslo/v1alpha", "f.yaml:1:13: apiVersion openslo/v1alpha: want openslo/v1"},
		{"kind", "kind: SLO", "kind: Slo", "f.yaml:2:7: kind Slo: want one of SLO, SLI"},
		{"method", "budgetingMethod: Occurrences", "budgetingMethod: RatioTimeslices", "f.yaml:25:20: spec.budgetingMethod RatioTimeslices: is not supported"},
		{"timeslices without target", "budgetingMethod: Occurrences", "budgetingMethod: Timeslices", "f.yaml:27:7: spec.objectives[0].timeSliceTarget: is missing"},
		{"slice fields on occurrences", "    - target: 0.999", "    - target: 0.999\n      timeSliceWindow: 5m", "spec.objectives[0].timeSliceWindow 5m: applies only to budgetingMethod Timeslices"},
		{"good and bad", "        bad:", "        good:\n          metricSource: {spec: {query: ok_total}}\n        bad:", "spec.indicator.spec.ratioMetric.bad: cannot be given with good"},
		{"no total", "        total:\n          metricSource:\n            type: Prometheus\n            spec:\n              query: requests_total\n", "", "spec.indicator.spec.ratioMetric.total: is missing"},
		{"empty spec", "            spec:\n              query: errors_total", "            spec: {}", "spec.indicator.spec.ratioMetric.bad.metricSource.spec: is empty"},
		{"op on a ratio", "    - target: 0.999", "    - target: 0.999\n      op: lte\n      value: 1", "spec.objectives[0].op lte: applies only to a thresholdMetric indicator"},
		{"calendar start", "    - duration: 30d\n      isRolling: true", "    - duration: 1M\n      calendar: {startTime: 2024-01-21 12:30:00, timeZone: UTC}", `spec.timeWindow[0].calendar.startTime "2024-01-21 12:30:00": is not the start of a month`},
		{"time zone", "    - duration: 30d\n      isRolling: true", "    - duration: 1M\n      calendar: {startTime: 2024-01-01 00:00:00, timeZone: Mars/Olympus}", "spec.timeWindow[0].calendar.timeZone Mars/Olympus: is not a time zone"},
		{"no window", "  timeWindow:\n    - duration: 30d\n      isRolling: true\n", "", "f.yaml:6:3: spec.timeWindow: is missing"},
		{"repeated field", "  budgetingMethod: Occurrences", "  budgetingMethod: Occurrences\n  budgetingMethod: Occurrences", "spec.budgetingMethod: repeated field"},
		{"yaml", "  objectives:", "  objectives: [", "f.yaml:26: yaml:"},
	} {
		doc := strings.Replace(sloDoc, tt.old, tt.new, 1)
		if doc == sloDoc {
			t.Fatalf("%s: %q not in the base document", tt.name, tt.old)
		}
		_, err := openslo.Parse("f.yaml", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Parse = %v\nwant %q", tt.name, err, tt.want)
			continue
		}
		var e *openslo.Error
		if tt.name != "yaml" && (!errors.As(err, &e) || e.Line == 0 || e.Column == 0 || e.File != "f.yaml") {
			t.Errorf("%s: %v is not an *Error with a position", tt.name, err)
		}
	}
}

func TestParseReferencesToNothing(t *testing.T) {
	doc := `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  indicatorRef: nothing
  alertPolicies:
    - alertPolicyRef: paging
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
`
	_, err := openslo.Parse("f.yaml", []byte(doc))
	for _, want := range []string{"f.yaml:6:17: spec.indicatorRef nothing: names no SLI", "f.yaml:8:23: spec.alertPolicies[0].alertPolicyRef paging: names no AlertPolicy"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v\nwant %q", err, want)
		}
	}
}

func TestParseDuplicateNames(t *testing.T) {
	_, err := openslo.Parse("f.yaml", []byte(sloDoc+"---\n"+sloDoc))
	if err == nil || !strings.Contains(err.Error(), `f.yaml:32:3: metadata.name checkout: SLO "checkout" is already defined at f.yaml:1:1`) {
		t.Errorf("Parse = %v", err)
	}
}

// A file with no document at all is a mistake (a truncated write, a glob
// that caught the wrong file), not an empty set: an error at file:1:1. A
// set whose documents hold no SLO, an SLI library, is valid and returns
// none; a lone "---" between documents is skipped.
const sliDoc = `apiVersion: openslo/v1
kind: SLI
metadata:
  name: errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: errors_total
    total:
      metricSource:
        type: Prometheus
        spec:
          query: requests_total
`

func TestParseEmptyAndMissing(t *testing.T) {
	for _, in := range []string{"", "---\n", "# only a comment\n", "---\n---\n", "\n\n  \n"} {
		slos, err := openslo.Parse("empty.yaml", []byte(in))
		var e *openslo.Error
		if !errors.As(err, &e) || e.Error() != "empty.yaml:1:1: holds no OpenSLO document" || len(slos) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want the error empty.yaml:1:1: holds no OpenSLO document", in, slos, err)
		}
	}
	slos, err := openslo.Parse("sli.yaml", []byte("---\n"+sliDoc+"---\n"))
	if err != nil || len(slos) != 0 {
		t.Errorf("Parse(an SLI alone) = %v, %v; want no SLOs and no error", slos, err)
	}
	if _, err := openslo.ReadFiles("testdata/missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("ReadFiles(missing) = %v", err)
	}
}

// An SLO may refer to an SLI in another file of the set.
func TestReadFilesResolvesAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	sli := `apiVersion: openslo/v1
kind: SLI
metadata:
  name: errors
spec:
  ratioMetric:
    bad: {metricSource: {type: Prometheus, spec: {query: errors_total}}}
    total: {metricSource: {type: Prometheus, spec: {query: requests_total}}}
`
	s := strings.Replace(sloDoc, "  indicator:\n    metadata:\n      name: errors\n    spec:\n", "  indicatorRef: errors\n  unused:\n", 1)
	s = s[:strings.Index(s, "  unused:\n")] + s[strings.Index(s, "  timeWindow:"):]
	for name, body := range map[string]string{"sli.yaml": sli, "slo.yaml": s} {
		if err := os.WriteFile(dir+"/"+name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slos, err := openslo.ReadFiles(dir+"/slo.yaml", dir+"/sli.yaml")
	if err != nil || len(slos) != 1 || slos[0].Indicator.Ratio.Bad.Query() != "errors_total" {
		t.Fatalf("ReadFiles = %+v, %v", slos, err)
	}
}

func BenchmarkOpenSLOParse1000(b *testing.B) {
	var buf bytes.Buffer
	for i := range 1000 {
		fmt.Fprint(&buf, strings.Replace(sloDoc, "name: checkout", fmt.Sprintf("name: checkout-%d", i), 1))
		buf.WriteString("---\n")
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		slos, err := openslo.Parse("bench.yaml", data)
		if err != nil || len(slos) != 1000 {
			b.Fatal(len(slos), err)
		}
	}
}

func TestIndicatorPromQL(t *testing.T) {
	slos := readFleet(t)
	bad, good, total, err := slos[0].Indicator.PromQL()
	if err != nil || bad != `http_requests_total{job="checkout",code=~"5.."}` || good != "" || total != `http_requests_total{job="checkout"}` {
		t.Errorf("checkout PromQL() = %q, %q, %q, %v", bad, good, total, err)
	}
	bad, good, total, err = slos[1].Indicator.PromQL()
	if err != nil || bad != "" || good != `search_requests_total{result="ok"}` || total != "search_requests_total" {
		t.Errorf("search PromQL() = %q, %q, %q, %v", bad, good, total, err)
	}
	prom := func(q string) *openslo.MetricSource {
		return &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": q}}
	}
	lower := openslo.Indicator{Ratio: &openslo.RatioMetric{
		Bad:   &openslo.MetricSource{Type: "prometheus", Spec: map[string]any{"query": " errors_total\n"}},
		Total: &openslo.MetricSource{Type: "PROMETHEUS", Spec: map[string]any{"query": "requests_total"}},
	}}
	if bad, good, total, err := lower.PromQL(); err != nil || bad != "errors_total" || good != "" || total != "requests_total" {
		t.Errorf("PromQL() of types in lower and upper case, a query with white space = %q, %q, %q, %v", bad, good, total, err)
	}
	no := false
	for _, tt := range []struct {
		name string
		ind  openslo.Indicator
		want string
	}{
		{"threshold", slos[2].Indicator, `indicator "p99" is a thresholdMetric`},
		{"raw", openslo.Indicator{Metadata: openslo.Metadata{Name: "r"}, Ratio: &openslo.RatioMetric{Raw: prom("ratio"), RawType: "success"}}, `indicator "r" is a raw ratio`},
		{"gauge", openslo.Indicator{Metadata: openslo.Metadata{Name: "g"}, Ratio: &openslo.RatioMetric{Counter: &no, Bad: prom("b"), Total: prom("t")}}, `indicator "g" reads gauges`},
		{"datadog", openslo.Indicator{Metadata: openslo.Metadata{Name: "d"}, Ratio: &openslo.RatioMetric{Bad: prom("b"), Total: &openslo.MetricSource{Type: "Datadog", Spec: map[string]any{"query": "x"}}}}, `of type "Datadog", not Prometheus`},
		{"no query", openslo.Indicator{Metadata: openslo.Metadata{Name: "q"}, Ratio: &openslo.RatioMetric{Bad: prom("b"), Total: &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"expr": "x"}}}}, `without a query`},
		{"blank query", openslo.Indicator{Metadata: openslo.Metadata{Name: "q"}, Ratio: &openslo.RatioMetric{Bad: prom("b"), Total: prom(" \n")}}, `without a query`},
		{"unknown ref", openslo.Indicator{Metadata: openslo.Metadata{Name: "u"}, Ratio: &openslo.RatioMetric{Bad: prom("b"), Total: &openslo.MetricSource{Ref: "thanos"}}}, `reads metricSourceRef "thanos", which names no DataSource`},
	} {
		if _, _, _, err := tt.ind.PromQL(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: PromQL() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// The package doc's promises on windows, objective names and raw ratios:
// rolling units m, h, d and w; calendar windows of 1M, 1Q and 1Y; with
// several objectives, each is named by its displayName in lower case with
// hyphens, or by its position from 1; raw with rawType is read.
func TestParseWindowsNamesAndRaw(t *testing.T) {
	const rolling = "    - duration: 30d\n      isRolling: true"
	for _, tt := range []struct {
		window string
		want   slo.Window
	}{
		{"    - duration: 90m\n      isRolling: true", slo.Rolling(90 * time.Minute)},
		{"    - duration: 12h\n      isRolling: true", slo.Rolling(12 * time.Hour)},
		{"    - duration: 4w\n      isRolling: true", slo.Rolling(28 * day)},
		{"    - duration: 1M\n      calendar: {startTime: 2024-01-01 00:00:00, timeZone: UTC}", slo.CalendarWindow(slo.Month, time.UTC)},
		{"    - duration: 1Q\n      calendar: {startTime: 2024-04-01 00:00:00, timeZone: UTC}", slo.CalendarWindow(slo.Quarter, time.UTC)},
		{"    - duration: 1Y\n      calendar: {startTime: 2024-01-01 00:00:00, timeZone: UTC}", slo.CalendarWindow(slo.Year, time.UTC)},
	} {
		slos, err := openslo.Parse("f.yaml", []byte(strings.Replace(sloDoc, rolling, tt.window, 1)))
		if err != nil || len(slos) != 1 {
			t.Errorf("%q: Parse = %v, %v", tt.window, slos, err)
			continue
		}
		w := slos[0].Objectives[0].Window
		if w.Rolling != tt.want.Rolling || w.Calendar != tt.want.Calendar || (tt.want.Location != nil && w.Location.String() != tt.want.Location.String()) {
			t.Errorf("%q: window %+v, want %+v", tt.window, w, tt.want)
		}
	}

	doc := strings.Replace(sloDoc, "    - target: 0.999", "    - target: 0.999\n      displayName: Fast Enough!\n    - target: 0.99", 1)
	slos, err := openslo.Parse("f.yaml", []byte(doc))
	if err != nil || len(slos) != 1 || len(slos[0].Objectives) != 2 {
		t.Fatalf("two objectives: Parse = %v, %v", slos, err)
	}
	if a, b := slos[0].Objectives[0].Name, slos[0].Objectives[1].Name; a != "checkout-fast-enough" || b != "checkout-2" {
		t.Errorf("objective names %q, %q; want checkout-fast-enough, checkout-2", a, b)
	}

	doc = strings.Replace(sloDoc, `        bad:
          metricSource:
            type: Prometheus
            spec:
              query: errors_total
        total:
          metricSource:
            type: Prometheus
            spec:
              query: requests_total
`, `        rawType: success
        raw:
          metricSource:
            type: Prometheus
            spec:
              query: sli:ratio
`, 1)
	slos, err = openslo.Parse("f.yaml", []byte(doc))
	if err != nil || len(slos) != 1 {
		t.Fatalf("raw: Parse = %v, %v", slos, err)
	}
	if r := slos[0].Indicator.Ratio; r == nil || r.RawType != "success" || r.Raw == nil || r.Raw.Query() != "sli:ratio" || r.Good != nil || r.Total != nil {
		t.Errorf("raw ratio = %+v", r)
	}
}

// Write's promises at the edges: no SLOs write nothing, and an SLO that
// OpenSLO cannot express stops the writing there, with nothing of it or
// of what follows in the output.
func TestWriteNothingAndStopsAtTheFirstProblem(t *testing.T) {
	var buf bytes.Buffer
	if err := openslo.Write(&buf); err != nil || buf.Len() != 0 {
		t.Errorf("Write() = %v, wrote %q; want nothing", err, buf.String())
	}
	ratio := openslo.Indicator{Ratio: &openslo.RatioMetric{
		Bad:   &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": "errors_total"}},
		Total: &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": "requests_total"}},
	}}
	good := func(name string) openslo.SLO {
		return openslo.New(slo.Objective{Name: name, Target: 0.99, Window: slo.Rolling(day)}, ratio)
	}
	bad := openslo.New(slo.Objective{Name: "second", Target: 1, Window: slo.Rolling(day)}, ratio)
	err := openslo.Write(&buf, good("first"), bad, good("third"))
	if err == nil || !strings.Contains(err.Error(), "second") {
		t.Errorf("Write = %v, want an error naming second", err)
	}
	if out := buf.String(); !strings.Contains(out, "name: first") || strings.Contains(out, "second") || strings.Contains(out, "third") {
		t.Errorf("Write wrote:\n%s\nwant first alone", out)
	}
}

// A metadata.name is at most 255 characters, without spaces.
func TestParseNameLength(t *testing.T) {
	long := strings.Repeat("a", 255)
	if _, err := openslo.Parse("f.yaml", []byte(strings.Replace(sloDoc, "name: checkout", "name: "+long, 1))); err != nil {
		t.Errorf("a name of 255 characters: %v", err)
	}
	for _, name := range []string{long + "a", "check out"} {
		_, err := openslo.Parse("f.yaml", []byte(strings.Replace(sloDoc, "name: checkout", "name: "+name, 1)))
		if err == nil || !strings.Contains(err.Error(), "f.yaml:4:9: metadata.name ") || !strings.Contains(err.Error(), ": want at most 255 characters without spaces") {
			t.Errorf("name %.20q…: Parse = %v", name, err)
		}
	}
}

// A calendar window is written with a start at the beginning of 2024 in
// its zone, and reads back as the same window.
func TestWriteCalendarStart(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	ratio := openslo.Indicator{Ratio: &openslo.RatioMetric{
		Bad:   &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": "errors_total"}},
		Total: &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": "requests_total"}},
	}}
	for _, c := range []slo.Calendar{slo.Month, slo.Quarter, slo.Year} {
		s := openslo.New(slo.Objective{Name: "q", Target: 0.99, Window: slo.CalendarWindow(c, berlin)}, ratio)
		var buf bytes.Buffer
		if err := openslo.Write(&buf, s); err != nil {
			t.Fatal(err)
		}
		if out := buf.String(); !strings.Contains(out, "startTime: \"2024-01-01 00:00:00\"") && !strings.Contains(out, "startTime: 2024-01-01 00:00:00") || !strings.Contains(out, "timeZone: Europe/Berlin") {
			t.Errorf("%v: Write wrote\n%s\nwant startTime 2024-01-01 00:00:00 in Europe/Berlin", c, out)
		}
		got := roundTrip(t, []openslo.SLO{s})
		if w := got[0].Objectives[0].Window; w.Calendar != c || w.Location.String() != "Europe/Berlin" {
			t.Errorf("%v: read back as %+v", c, w)
		}
	}
}

// DataSource and Service documents are checked, then ignored: an unknown
// field or a DataSource without a type is an error at its line.
func TestParseDataSourceAndServiceAreChecked(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{"apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: shop\nspec:\n  descripton: typo\n", "f.yaml:6:3: spec.descripton: unknown field"},
		{"apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: prom\nspec:\n  connectionDetails: {url: http://p:9090}\n", "f.yaml:6:3: spec.type: is missing"},
		{"apiVersion: openslo/v1\nkind: DataSource\nmetadata:\n  name: prom\nspec:\n  type: Prometheus\n  url: http://p:9090\n", "f.yaml:7:3: spec.url: unknown field"},
	} {
		_, err := openslo.Parse("f.yaml", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(…%q) = %v\nwant %q", tt.doc, err, tt.want)
		}
	}
	if slos, err := openslo.Parse("f.yaml", []byte(sloDoc+"---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: shop\nspec:\n  description: The shop\n")); err != nil || len(slos) != 1 {
		t.Errorf("an SLO and a valid Service = %v, %v; want the SLO alone", slos, err)
	}
}
