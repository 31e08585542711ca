package openslo_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
)

const checkoutFile = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  service: shop
  indicator:
    metadata:
      name: checkout-errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="checkout",code=~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="checkout"}
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - targetPercent: 99.9
`

func ExampleParse() {
	slos, err := openslo.Parse("checkout.yaml", []byte(checkoutFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	o := slos[0].Objectives[0].Objective
	fmt.Println(o.Name, o.Target, o.Window, o.AllowedDowntime(time.Time{}))
	fmt.Println(slos[0].Indicator.Ratio.Bad.Query())
	// The same objective feeds a tracker.
	tracker, err := slo.NewTracker(o, slo.TrackerConfig{})
	fmt.Println(tracker.Objective().Budget(), err)
	// Output:
	// checkout 0.999 30d 43m12s
	// http_requests_total{job="checkout",code=~"5.."}
	// 0.001 <nil>
}

func ExampleError() {
	_, err := openslo.Parse("checkout.yaml", []byte(`apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  indicatorRef: checkout-errors
  timeWindow:
    - duration: 30days
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 99.9
`))
	fmt.Println(err)
	var e *openslo.Error
	if errors.As(err, &e) {
		fmt.Println(e.Line, e.Column, e.Field, e.Value)
	}
	// Output:
	// checkout.yaml:8:17: spec.timeWindow[0].duration 30days: unit "days" is not one of m, h, d, w; write 30d
	// checkout.yaml:12:15: spec.objectives[0].target 99.9: out of range (0, 1): target is a ratio; for a percentage write targetPercent: 99.9
	// checkout.yaml:6:17: spec.indicatorRef checkout-errors: names no SLI
	// 8 17 spec.timeWindow[0].duration 30days
}

func ExampleSLO_Policy() {
	slos, err := openslo.ReadFiles("testdata/fleet.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range slos[0].Policy().Tiers {
		fmt.Println(t.Severity, t.Long, t.ShortWindow(), t.Threshold(30*24*time.Hour))
	}
	// Output:
	// page 1h0m0s 5m0s 14.4
	// ticket 72h0m0s 6h0m0s 1
}

func ExampleWrite() {
	o := slo.Objective{Name: "api", Target: 0.995, Window: slo.Rolling(28 * 24 * time.Hour)}
	s := openslo.New(o, openslo.Indicator{Ratio: &openslo.RatioMetric{
		Bad:   &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": `runkit_slo_events_total{slo="api",outcome="bad"}`}},
		Total: &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": `runkit_slo_events_total{slo="api"}`}},
	}})
	if err := openslo.Write(os.Stdout, s); err != nil {
		fmt.Println(err)
	}
	// Output:
	// apiVersion: openslo/v1
	// kind: SLO
	// metadata:
	//   name: api
	// spec:
	//   indicator:
	//     metadata:
	//       name: api-sli
	//     spec:
	//       ratioMetric:
	//         bad:
	//           metricSource:
	//             type: Prometheus
	//             spec:
	//               query: runkit_slo_events_total{slo="api",outcome="bad"}
	//         total:
	//           metricSource:
	//             type: Prometheus
	//             spec:
	//               query: runkit_slo_events_total{slo="api"}
	//   timeWindow:
	//     - duration: 4w
	//       isRolling: true
	//   budgetingMethod: Occurrences
	//   objectives:
	//     - target: 0.995
}

func ExampleNew() {
	o := slo.Objective{Name: "search", Target: 0.99, Window: slo.CalendarWindow(slo.Month, nil)}
	s := openslo.New(o, openslo.Indicator{Threshold: &openslo.MetricSource{Type: "Prometheus", Spec: map[string]any{"query": "search_p99_seconds"}}})
	// A threshold indicator judges each value: good when at most 0.3.
	s.Objectives[0].Op, s.Objectives[0].Value = "lte", 0.3
	fmt.Println(s.Name, s.Indicator.Name, s.Objectives[0].Window)
	fmt.Println(openslo.Write(io.Discard, s))
	// Output:
	// search search-sli calendar month in UTC
	// <nil>
}

// Where a field was read, for a message about it found later: the
// objective's target, and a field the file leaves out, at its nearest
// enclosing field.
func ExamplePositions_Lookup() {
	slos, err := openslo.Parse("checkout.yaml", []byte(checkoutFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := slos[0]
	p, ok := s.FieldPositions.Lookup("spec.objectives[0].targetPercent")
	fmt.Println(p, ok)
	_, ok = s.FieldPositions.Lookup("spec.description")
	fmt.Println(ok, s.FieldPosition("spec.description"))
	fmt.Printf("a set of files may hold %d MiB\n", openslo.MaxBytes>>20)
	// Output:
	// checkout.yaml:28:22 true
	// false checkout.yaml:5:1
	// a set of files may hold 8 MiB
}
