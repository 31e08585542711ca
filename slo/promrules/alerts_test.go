package promrules_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// noDataText is the no-data alert's annotations for an SLO.
func noDataText(name, source string) map[string]string {
	return map[string]string{
		"summary":     fmt.Sprintf("SLO %s has had no series of its events for 10m", name),
		"description": fmt.Sprintf("No series of the events of SLO %s (%s) for 10m: the exporter, the scrape or the relabelling is broken, or no replica runs. Flat counters, a quiet night, do not fire this. Until the series are back, the SLO's burn-rate alerts see nothing.", name, source),
	}
}

// With a label kept, a region whose series go away fires the no-data
// alert for that region alone, while a region whose counters stand still
// (zero traffic, two replicas up) fires nothing, ever.
func TestPromtoolNoDataPerGroup(t *testing.T) {
	promtool := tool(t, "promtool")
	o := slo.Objective{Name: "checkout", Target: 0.99, Window: slo.Rolling(7 * day)}
	var in []inputSeries
	for _, instance := range []string{"a", "b"} {
		for _, outcome := range []string{"good", "bad"} {
			// eu serves 10 a minute from each replica, then its exporter
			// goes away at 30m; us serves nothing, its counters at 0.
			in = append(in,
				inputSeries{Series: fmt.Sprintf(`runkit_slo_events_total{slo="checkout",outcome=%q,region="eu",instance=%q}`, outcome, instance), Values: "0+5x30 stale"},
				inputSeries{Series: fmt.Sprintf(`runkit_slo_events_total{slo="checkout",outcome=%q,region="us",instance=%q}`, outcome, instance), Values: "0+0x180"},
			)
		}
	}
	eu := expAlert{Labels: map[string]string{"slo": "checkout", "severity": "ticket", "region": "eu"}, Annotations: noDataText("checkout", "runkit's event counter runkit_slo_events_total")}
	runUnitTest(t, promtool, time.Minute, []testCase{{
		Interval:    "1m",
		InputSeries: in,
		Alerts: []alertTest{
			{EvalTime: "30m", AlertName: promrules.NoDataAlert},
			{EvalTime: "40m", AlertName: promrules.NoDataAlert},
			{EvalTime: "1h", AlertName: promrules.NoDataAlert, ExpAlerts: []expAlert{eu}},
			{EvalTime: "3h", AlertName: promrules.NoDataAlert, ExpAlerts: []expAlert{eu}},
		},
	}}, promrules.SLO{Objective: o, Keep: []string{"region"}})
}

// User text holding {{ reaches the alert as written: a name, a label
// value, the runbook URL and a query with {{.window}}, in the alerts'
// labels and annotations as Prometheus expands them.
func TestPromtoolUserTextIsLiteral(t *testing.T) {
	promtool := tool(t, "promtool")
	const name = "pay{{ments}}"
	s := promrules.SLO{
		Objective:  slo.Objective{Name: name, Target: 0.999, Window: slo.Rolling(30 * day)},
		Source:     promrules.Ratio{Bad: `sum(rate(errors_total[{{.window}}]))`, Total: `sum(rate(requests_total[{{.window}}]))`},
		Policy:     &slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: time.Hour, BudgetShare: 0.02}}},
		Labels:     map[string]string{"note": "{{ $value }} and {{"},
		RunbookURL: "https://runbooks.example/{{.slo}}",
	}
	noData := noDataText(name, "the PromQL sum(rate(requests_total[{{.window}}]))")
	noData["runbook_url"] = s.RunbookURL
	dir := t.TempDir()
	run(t, promtool, "check", "rules", writeRules(t, dir, promrules.Config{}, s))
	runUnitTest(t, promtool, time.Minute, []testCase{
		{
			Interval: "1m",
			Alerts: []alertTest{{EvalTime: "15m", AlertName: promrules.NoDataAlert, ExpAlerts: []expAlert{{
				Labels:      map[string]string{"slo": name, "severity": "ticket", "note": "{{ $value }} and {{"},
				Annotations: noData,
			}}}},
		},
		{
			Interval: "1m",
			InputSeries: []inputSeries{
				{Series: `errors_total{instance="a"}`, Values: "0+10x30"},
				{Series: `requests_total{instance="a"}`, Values: "0+10x30"},
			},
			Exprs: []exprTest{{
				Expr:     fmt.Sprintf(`ALERTS{alertname=%q,alertstate="firing"}`, promrules.BurnAlert),
				EvalTime: "15m",
				ExpSamples: []expSample{{
					Labels: fmt.Sprintf(`{__name__="ALERTS",alertname=%q,alertstate="firing",long_window="1h",note="{{ $value }} and {{",severity="page",short_window="5m",slo=%q}`, promrules.BurnAlert, name),
					Value:  1,
				}},
			}},
		},
	}, s)
}
