package promrules_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// thousand returns 1,000 objectives over the three sources.
func thousand() []promrules.SLO {
	slos := make([]promrules.SLO, 1000)
	for i := range slos {
		s := promrules.SLO{Objective: slo.Objective{Name: fmt.Sprintf("service-%04d", i), Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}}
		switch i % 3 {
		case 1:
			s.Source = promrules.Latency{Threshold: 0.25, Matchers: fmt.Sprintf(`service="s%d"`, i)}
		case 2:
			s.Source = promrules.Ratio{Bad: fmt.Sprintf(`http_requests_total{service="s%d",code=~"5.."}`, i), Total: fmt.Sprintf(`http_requests_total{service="s%d"}`, i)}
		}
		slos[i] = s
	}
	return slos
}

// BenchmarkGenerate1000 writes the rules of 1,000 objectives.
func BenchmarkGenerate1000(b *testing.B) {
	slos := thousand()
	b.ReportAllocs()
	for b.Loop() {
		if err := promrules.Write(io.Discard, promrules.Config{}, slos...); err != nil {
			b.Fatal(err)
		}
	}
}
