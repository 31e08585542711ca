package sloth_test

import (
	"fmt"

	"github.com/ybiyri/runkit/slo/sloth"
)

func Example() {
	spec := []byte(`version: "prometheus/v1"
service: "myservice"
labels:
  owner: "myteam"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{ .window }}]))
        total_query: sum(rate(http_requests_total[{{ .window }}]))
    alerting:
      name: MyServiceHighErrorRate
      page_alert:
        labels:
          severity: critical
      ticket_alert:
        disable: true
`)
	fmt.Println(sloth.Is(spec))
	slos, err := sloth.Parse("myservice.yaml", spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := slos[0]
	o, err := s.AsObjective()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(o.Name, o.Target, o.Window)
	fmt.Println(s.SLI.ErrorQuery)
	p, _, err := s.Policy(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range p.Tiers {
		fmt.Println(t.Severity, t.Long, t.ShortWindow(), t.Threshold(o.Window.Rolling))
	}
	fmt.Println(s.PageLabels(), s.TicketLabels() == nil)
	// Output:
	// true
	// myservice-requests-availability 0.999 30d
	// sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
	// page 1h0m0s 5m0s 14.4
	// page 6h0m0s 30m0s 6
	// map[severity:critical] true
}

// A problem names the field as the file spells it, at its line.
func ExampleParse_kubernetes() {
	_, err := sloth.Parse("k8s.yaml", []byte(`apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: myservice}
spec:
  service: myservice
  slos:
    - name: availability
      objective: 99.9
      sli:
        events:
          errorQuery: sum(rate(x{code="500"}[5m]))
          totalQuery: sum(rate(x[{{.window}}]))
      alerting:
        name: Availability
`))
	fmt.Println(err)
	// Output:
	// k8s.yaml:11:23: spec.slos[0].sli.events.errorQuery "sum(rate(x{code=\"500\"}[5m]))": has no {{.window}}: sloth's queries are templates over the window
}
