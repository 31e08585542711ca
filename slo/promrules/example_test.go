package promrules_test

import (
	"fmt"
	"os"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
	"github.com/ybiyri/runkit/slo/promrules"
)

func ExampleWrite() {
	checkout := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	page := slo.DefaultPolicy().Tiers[0] // 2% of the budget in 1h, confirmed over 5m
	err := promrules.Write(os.Stdout, promrules.Config{NoDataFor: 15 * time.Minute}, promrules.SLO{
		Objective:  checkout,
		Policy:     &slo.Policy{Tiers: []slo.Tier{page}},
		RunbookURL: "https://runbooks.example/checkout",
	})
	fmt.Println(err)
	// Output:
	// # Prometheus rules for 1 service level objective, written by
	// # github.com/ybiyri/runkit/slo/promrules. Regenerate rather than edit.
	// groups:
	// - name: runkit-slo-checkout
	//   rules:
	//     - record: runkit:slo_errors:ratio_rate5m
	//       expr: '(sum(increase(runkit_slo_events_total{slo="checkout",outcome="bad"}[5m])) or 0 * sum(increase(runkit_slo_events_total{slo="checkout"}[5m]))) / (sum(increase(runkit_slo_events_total{slo="checkout"}[5m])) > 0)'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_errors:ratio_rate1h
	//       expr: '(sum(increase(runkit_slo_events_total{slo="checkout",outcome="bad"}[1h])) or 0 * sum(increase(runkit_slo_events_total{slo="checkout"}[1h]))) / (sum(increase(runkit_slo_events_total{slo="checkout"}[1h])) > 0)'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_errors:ratio_rate30d
	//       expr: 'sum_over_time(runkit:slo_events_bad:increase5m{slo="checkout"}[30d]) / (sum_over_time(runkit:slo_events_total:increase5m{slo="checkout"}[30d]) > 0)'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_budget_remaining:ratio
	//       expr: '1 - runkit:slo_errors:ratio_rate30d{slo="checkout"} / 0.001'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_info
	//       expr: 'vector(1)'
	//       labels:
	//         slo: checkout
	//         target: '0.999'
	//         window: 30d
	//     - record: runkit:slo_objective:ratio
	//       expr: 'vector(0.999)'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_error_budget:ratio
	//       expr: 'vector(0.001)'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_window:seconds
	//       expr: 'vector(2592000)'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_current_burn_rate:ratio
	//       expr: 'runkit:slo_errors:ratio_rate5m{slo="checkout"} / 0.001'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_period_burn_rate:ratio
	//       expr: 'runkit:slo_errors:ratio_rate30d{slo="checkout"} / 0.001'
	//       labels:
	//         slo: checkout
	//     - alert: SLOErrorBudgetBurn
	//       expr: 'runkit:slo_errors:ratio_rate1h{slo="checkout"} / 0.001 > 14.4 and runkit:slo_errors:ratio_rate5m{slo="checkout"} / 0.001 > 14.4'
	//       labels:
	//         long_window: 1h
	//         severity: page
	//         short_window: 5m
	//         slo: checkout
	//       annotations:
	//         description: 'SLO checkout promises 99.9% good events over 30d, an error budget of 0.1%. Over the last 1h, and still over the last 5m, errors burn it more than 14.4 times as fast as 30d allows: at that rate 2% of the budget goes within 1h, all of it within 2d2h. The share left is runkit:slo_budget_remaining:ratio.'
	//         runbook_url: https://runbooks.example/checkout
	//         summary: 'SLO checkout burns its error budget {{ printf "%.3g" $value }} times too fast over 1h'
	//     - alert: SLONoData
	//       expr: 'absent(sum(increase(runkit_slo_events_total{slo="checkout"}[5m])))'
	//       for: 15m
	//       labels:
	//         severity: ticket
	//         slo: checkout
	//       annotations:
	//         description: 'No series of the events of SLO checkout (runkit''s event counter runkit_slo_events_total) for 15m: the exporter, the scrape or the relabelling is broken, or no replica runs. Flat counters, a quiet night, do not fire this. Until the series are back, the SLO''s burn-rate alerts see nothing.'
	//         runbook_url: https://runbooks.example/checkout
	//         summary: 'SLO checkout has had no series of its events for 15m'
	// - name: runkit-step-checkout
	//   interval: 5m
	//   rules:
	//     - record: runkit:slo_events_bad:increase5m
	//       expr: 'sum(increase(runkit_slo_events_total{slo="checkout",outcome="bad"}[5m])) or 0 * sum(increase(runkit_slo_events_total{slo="checkout"}[5m]))'
	//       labels:
	//         slo: checkout
	//     - record: runkit:slo_events_total:increase5m
	//       expr: 'sum(increase(runkit_slo_events_total{slo="checkout"}[5m]))'
	//       labels:
	//         slo: checkout
	// <nil>
}

// rulesFor turns the SLOs of an OpenSLO file into what Write takes: a
// ratioMetric of Prometheus counters is a Ratio source, and the SLO's
// alert policies are its tiers.
func rulesFor(slos []openslo.SLO) ([]promrules.SLO, error) {
	var out []promrules.SLO
	for _, s := range slos {
		bad, good, total, err := s.Indicator.PromQL()
		if err != nil {
			return nil, err
		}
		for _, o := range s.Objectives {
			out = append(out, promrules.SLO{Objective: o.Objective, Source: promrules.Ratio{Bad: bad, Good: good, Total: total}, Policy: s.Policy()})
		}
	}
	return out, nil
}

// An OpenSLO file in, a rule file out.
func Example_openSLO() {
	slos, err := openslo.Parse("api.yaml", []byte(`apiVersion: openslo/v1
kind: SLO
metadata:
  name: api
spec:
  indicator:
    metadata:
      name: api-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="api",code=~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="api"}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: 99.5
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: page
      spec:
        conditions:
          - kind: AlertCondition
            metadata:
              name: fast-burn
            spec:
              severity: page
              condition:
                kind: burnrate
                threshold: 10
                lookbackWindow: 2h
                alertAfter: 10m
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rules, err := rulesFor(slos)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := promrules.Write(os.Stdout, promrules.Config{}, rules...); err != nil {
		fmt.Println(err)
	}
	// Output:
	// # Prometheus rules for 1 service level objective, written by
	// # github.com/ybiyri/runkit/slo/promrules. Regenerate rather than edit.
	// groups:
	// - name: runkit-slo-api
	//   rules:
	//     - record: runkit:slo_errors:ratio_rate10m
	//       expr: '(sum(increase(http_requests_total{job="api",code=~"5.."}[10m])) or 0 * sum(increase(http_requests_total{job="api"}[10m]))) / (sum(increase(http_requests_total{job="api"}[10m])) > 0)'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_errors:ratio_rate2h
	//       expr: '(sum(increase(http_requests_total{job="api",code=~"5.."}[2h])) or 0 * sum(increase(http_requests_total{job="api"}[2h]))) / (sum(increase(http_requests_total{job="api"}[2h])) > 0)'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_errors:ratio_rate28d
	//       expr: 'sum_over_time(runkit:slo_events_bad:increase5m{slo="api"}[28d]) / (sum_over_time(runkit:slo_events_total:increase5m{slo="api"}[28d]) > 0)'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_budget_remaining:ratio
	//       expr: '1 - runkit:slo_errors:ratio_rate28d{slo="api"} / 0.005'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_info
	//       expr: 'vector(1)'
	//       labels:
	//         slo: api
	//         target: '0.995'
	//         window: 28d
	//     - record: runkit:slo_objective:ratio
	//       expr: 'vector(0.995)'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_error_budget:ratio
	//       expr: 'vector(0.005)'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_window:seconds
	//       expr: 'vector(2419200)'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_current_burn_rate:ratio
	//       expr: 'runkit:slo_errors:ratio_rate10m{slo="api"} / 0.005'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_period_burn_rate:ratio
	//       expr: 'runkit:slo_errors:ratio_rate28d{slo="api"} / 0.005'
	//       labels:
	//         slo: api
	//     - alert: SLOErrorBudgetBurn
	//       expr: 'runkit:slo_errors:ratio_rate2h{slo="api"} / 0.005 > 10 and runkit:slo_errors:ratio_rate10m{slo="api"} / 0.005 > 10'
	//       for: 10m
	//       labels:
	//         long_window: 2h
	//         severity: page
	//         short_window: 10m
	//         slo: api
	//       annotations:
	//         description: 'SLO api promises 99.5% good events over 28d, an error budget of 0.5%. Over the last 2h, and still over the last 10m, errors burn it more than 10 times as fast as 28d allows: at that rate 2.98% of the budget goes within 2h, all of it within 2d19h12m. The share left is runkit:slo_budget_remaining:ratio.'
	//         summary: 'SLO api burns its error budget {{ printf "%.3g" $value }} times too fast over 2h'
	//     - alert: SLONoData
	//       expr: 'absent(sum(increase(http_requests_total{job="api"}[10m])))'
	//       for: 10m
	//       labels:
	//         severity: ticket
	//         slo: api
	//       annotations:
	//         description: 'No series of the events of SLO api (the PromQL http_requests_total{job="api"}) for 10m: the exporter, the scrape or the relabelling is broken, or no replica runs. Flat counters, a quiet night, do not fire this. Until the series are back, the SLO''s burn-rate alerts see nothing.'
	//         summary: 'SLO api has had no series of its events for 10m'
	// - name: runkit-step-api
	//   interval: 5m
	//   rules:
	//     - record: runkit:slo_events_bad:increase5m
	//       expr: 'sum(increase(http_requests_total{job="api",code=~"5.."}[5m])) or 0 * sum(increase(http_requests_total{job="api"}[5m]))'
	//       labels:
	//         slo: api
	//     - record: runkit:slo_events_total:increase5m
	//       expr: 'sum(increase(http_requests_total{job="api"}[5m]))'
	//       labels:
	//         slo: api
}

// A 28-day objective leaves out the default 3-day ticket, whose threshold
// would be under 1; the rule file says so above the SLO's group.
func ExampleOmittedNote() {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(28 * 24 * time.Hour)}
	_, omitted := slo.DefaultPolicyFor(o)
	for _, ot := range omitted {
		fmt.Println(promrules.OmittedNote(o.Name, ot))
	}
	// Output:
	// SLO checkout: the default ticket tier over 3d (short window 6h) is left out: burn-rate threshold 0.9333 is under 1: it would fire while the objective is met, at burn rates that spend less than the budget over the window
}
