package promrules_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// fleetRequests are the request counters of two replicas in each of two
// regions. Each minute the fleet serves 200 requests, 10 of them failing
// with a 500: a quarter of each from every replica. bad and total are a
// minute's requests per region, named by region; failing regions' bad
// requests are 500s, the rest 200s.
func fleetRequests(perRegion map[string][2]float64) []inputSeries {
	var in []inputSeries
	for _, region := range []string{"eu", "us"} {
		c := perRegion[region]
		for _, instance := range []string{"a", "b"} {
			in = append(in,
				inputSeries{Series: fmt.Sprintf(`http_requests_total{job="api",region=%q,instance=%q,code="500"}`, region, instance), Values: fmt.Sprintf("0+%vx120", c[0]/2)},
				inputSeries{Series: fmt.Sprintf(`http_requests_total{job="api",region=%q,instance=%q,code="200"}`, region, instance), Values: fmt.Sprintf("0+%vx120", (c[1]-c[0])/2)},
			)
		}
	}
	return in
}

// ratioIs expects the recorded error ratio over window of the SLO name,
// with the labels given, to be want within 1e-9.
func ratioIs(name, window, labels string, want float64) exprTest {
	sel := fmt.Sprintf(`slo=%q`, name)
	out := sel
	if labels != "" {
		sel += "," + labels
		out = labels + "," + out
	}
	return exprTest{
		Expr:       fmt.Sprintf(`abs(%s%s{%s} - %v) < bool 1e-9`, promrules.ErrorRatio, window, sel, want),
		EvalTime:   "90m",
		ExpSamples: []expSample{{Labels: "{" + out + "}", Value: 1}},
	}
}

// Every form of a ratio Write accepts records the same error ratio: 10 bad
// of 200 a minute, over four replicas in two regions, is 0.05 over 5m and
// over 1h, whether the queries are selectors or templates, over rate or
// increase, with or without their own sum.
func TestPromtoolRatioForms(t *testing.T) {
	promtool := tool(t, "promtool")
	forms := []promrules.Ratio{
		{Bad: `http_requests_total{job="api",code=~"5.."}`, Total: `http_requests_total{job="api"}`},
		{Good: `http_requests_total{job="api",code!~"5.."}`, Total: `http_requests_total{job="api"}`},
		{Bad: `sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))`, Total: `sum(rate(http_requests_total{job="api"}[{{.window}}]))`},
		{Bad: `sum(increase(http_requests_total{job="api",code=~"5.."}[{{.window}}]))`, Total: `sum(increase(http_requests_total{job="api"}[{{.window}}]))`},
		{Good: `sum by (instance) (rate(http_requests_total{job="api",code!~"5.."}[{{.window}}]))`, Total: `sum by (instance) (rate(http_requests_total{job="api"}[{{.window}}]))`},
		{Bad: `rate(http_requests_total{job="api",code=~"5.."}[{{.window}}])`, Total: `rate(http_requests_total{job="api"}[{{.window}}])`},
		// Parentheses and brackets inside label values are text.
		{Bad: `sum(rate(http_requests_total{job="api",code=~"(5..|429)"}[{{.window}}]))`, Total: `sum(rate(http_requests_total{job="api",code=~"(.*)|[0-9]"}[{{.window}}]))`},
		// A subquery over the window.
		{Bad: `sum_over_time((sum(rate(http_requests_total{job="api",code=~"5.."}[1m])))[{{.window}}:1m])`, Total: `sum_over_time((sum(rate(http_requests_total{job="api"}[1m])))[{{.window}}:1m])`},
	}
	var slos []promrules.SLO
	var exprs []exprTest
	for i, f := range forms {
		name := fmt.Sprintf("form-%d", i)
		slos = append(slos, promrules.SLO{Objective: slo.Objective{Name: name, Target: 0.9, Window: slo.Rolling(7 * day)}, Source: f})
		exprs = append(exprs, ratioIs(name, "5m", "", 0.05), ratioIs(name, "1h", "", 0.05))
	}
	runUnitTest(t, promtool, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: fleetRequests(map[string][2]float64{"eu": {5, 100}, "us": {5, 100}}),
		Exprs:       exprs,
	}}, slos...)
}

// A selector beside a template, or templates over different functions,
// is refused, naming both queries and what to write instead.
func TestWriteRefusesMixedRatio(t *testing.T) {
	o := slo.Objective{Name: "mixed", Target: 0.99, Window: slo.Rolling(30 * day)}
	for _, tt := range []struct {
		src  promrules.Ratio
		want []string
	}{
		{promrules.Ratio{Bad: `errors_total`, Total: `sum(rate(requests_total[{{.window}}]))`},
			[]string{`Ratio: Bad "errors_total" is a series selector and Total "sum(rate(requests_total[{{.window}}]))" a template`, "write both as selectors, or Bad as a template", "sum(increase(errors_total[{{.window}}]))"}},
		{promrules.Ratio{Good: `sum(rate(ok_total[{{.window}}]))`, Total: `requests_total`},
			[]string{`Ratio: Good "sum(rate(ok_total[{{.window}}]))" is a template and Total "requests_total" a series selector`, "sum(increase(requests_total[{{.window}}]))"}},
		{promrules.Ratio{Bad: `sum(rate(errors_total[{{.window}}]))`, Total: `sum(increase(requests_total[{{.window}}]))`},
			[]string{`reads its window with rate() and Total "sum(increase(requests_total[{{.window}}]))" with increase()`, "use the same function on both"}},
		// Parentheses in label values hide no function.
		{promrules.Ratio{Bad: `sum(rate(requests_total{code=~"(5..|429)"}[{{.window}}]))`, Total: `sum(increase(requests_total{code=~"(.*)"}[{{.window}}]))`},
			[]string{`reads its window with rate() and Total`, `with increase()`}},
		{promrules.Ratio{Bad: `sum_over_time((sum(rate(errors_total[1m])))[{{.window}}:1m])`, Total: `sum(increase(requests_total[{{.window}}]))`},
			[]string{`reads its window with sum_over_time() and Total`, `with increase()`}},
		// What Prometheus could not parse.
		{promrules.Ratio{Bad: `sum(rate(errors_total{code="5xx"}[{{.window}}])`, Total: `sum(rate(requests_total[{{.window}}]))`},
			[]string{`Ratio.Bad: "sum(rate(errors_total{code=\"5xx\"}[{{.window}}])" has a ( at character 4 that is never closed`}},
		{promrules.Ratio{Bad: `sum(rate(errors_total[{{.window}}]))`, Total: `sum(rate(requests_total{code="5xx}[{{.window}}]))`},
			[]string{`Ratio.Total:`, `has a " at character 30 that no " closes`}},
		{promrules.Ratio{Bad: `sum(rate(errors_total[{{.window}}])))`, Total: `sum(rate(requests_total[{{.window}}]))`},
			[]string{`has a ) at character 37 that closes nothing open`}},
	} {
		err := promrules.Write(io.Discard, promrules.Config{}, promrules.SLO{Objective: o, Source: tt.src})
		if err == nil {
			t.Errorf("Write(%+v) = nil, want an error", tt.src)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Write(%+v) = %v\nwant it to say %q", tt.src, err, w)
			}
		}
	}
}

// With Keep, a region failing 10% records 0.1 for that region and 0 for
// the other, from selectors and from templates that keep the label; a
// template that sums the label away is refused, naming it.
func TestPromtoolKeepTemplate(t *testing.T) {
	promtool := tool(t, "promtool")
	keep := []string{"region"}
	w := slo.Rolling(7 * day)
	forms := []promrules.Ratio{
		{Bad: `http_requests_total{job="api",code=~"5.."}`, Total: `http_requests_total{job="api"}`},
		{Bad: `sum by (region) (rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))`, Total: `sum by (region) (rate(http_requests_total{job="api"}[{{.window}}]))`},
		{Good: `sum(increase(http_requests_total{job="api",code!~"5.."}[{{.window}}])) by (region, instance)`, Total: `sum without (code) (increase(http_requests_total{job="api"}[{{.window}}]))`},
		{Bad: `rate(http_requests_total{job="api",code=~"5.."}[{{.window}}])`, Total: `rate(http_requests_total{job="api"}[{{.window}}])`},
	}
	var slos []promrules.SLO
	var exprs []exprTest
	for i, f := range forms {
		name := fmt.Sprintf("kept-%d", i)
		slos = append(slos, promrules.SLO{Objective: slo.Objective{Name: name, Target: 0.99, Window: w}, Source: f, Keep: keep})
		exprs = append(exprs, ratioIs(name, "1h", `region="eu"`, 0.1), ratioIs(name, "1h", `region="us"`, 0))
	}
	runUnitTest(t, promtool, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: fleetRequests(map[string][2]float64{"eu": {10, 100}, "us": {0, 100}}),
		Exprs:       exprs,
	}}, slos...)

	for _, tt := range []struct {
		src  promrules.Ratio
		want string
	}{
		{promrules.Ratio{Bad: `sum(rate(errors_total[{{.window}}]))`, Total: `sum by (region) (rate(requests_total[{{.window}}]))`},
			`Ratio.Bad: "sum(rate(errors_total[{{.window}}]))" aggregates with sum() over every label, dropping region, a label Keep keeps`},
		{promrules.Ratio{Bad: `sum by (region) (rate(errors_total[{{.window}}]))`, Total: `sum by (job) (rate(requests_total[{{.window}}]))`},
			`Ratio.Total: "sum by (job) (rate(requests_total[{{.window}}]))" aggregates with sum by (job), dropping region, a label Keep keeps: each value of region would have nothing to match; add region to the by (…)`},
		{promrules.Ratio{Bad: `sum by (region) (rate(errors_total[{{.window}}]))`, Total: `sum(rate(requests_total[{{.window}}])) without (region)`},
			`aggregates with sum without (region), dropping region`},
	} {
		err := promrules.Write(io.Discard, promrules.Config{}, promrules.SLO{Objective: slo.Objective{Name: "dropped", Target: 0.99, Window: w}, Source: tt.src, Keep: keep})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Write(%+v, Keep region) = %v\nwant %q", tt.src, err, tt.want)
		}
	}
}

// A latency threshold that is not a bucket boundary names the boundaries
// on either side of it.
func TestLatencyThresholdNamesNearest(t *testing.T) {
	o := slo.Objective{Name: "slow", Target: 0.99, Window: slo.Rolling(30 * day)}
	for _, tt := range []struct {
		l    promrules.Latency
		want string
	}{
		{promrules.Latency{Threshold: 0.3}, "the nearest boundaries are 0.25 and 0.5"},
		{promrules.Latency{Threshold: 0.001}, "the nearest boundary is 0.005, the lowest"},
		{promrules.Latency{Threshold: 30}, "the nearest boundary is 10, the highest"},
		{promrules.Latency{Threshold: 200, Buckets: []float64{100, 300}}, "the nearest boundaries are 100 and 300"},
	} {
		err := promrules.Write(io.Discard, promrules.Config{}, promrules.SLO{Objective: o, Source: tt.l})
		if err == nil || !strings.Contains(err.Error(), "is not a bucket boundary") || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("Latency threshold %v: %v\nwant it to end %q", tt.l.Threshold, err, tt.want)
		}
	}
}
