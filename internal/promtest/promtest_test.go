package promtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/internal/promtest"
)

// OpenMetrics groups each family's samples under its TYPE line, and what
// Backfill writes, a Prometheus started on it reads.
func TestBackfill(t *testing.T) {
	end := time.Now().Add(-time.Minute).Truncate(time.Second)
	times := []time.Time{end.Add(-2 * time.Minute), end.Add(-time.Minute), end}
	om := string(promtest.OpenMetrics(
		promtest.Counter{Name: "a", Labels: map[string]string{"x": "1"}, Times: times, Values: []float64{1, 2, 3}},
		promtest.Counter{Name: "b", Times: times, Values: []float64{10, 20, 30}},
		promtest.Counter{Name: "a", Labels: map[string]string{"x": "2"}, Times: times, Values: []float64{4, 5, 6}},
	))
	if !strings.HasSuffix(om, "# EOF\n") || strings.Index(om, "# TYPE b counter") < strings.LastIndex(om, `a_total{x="2"}`) {
		t.Fatalf("OpenMetrics:\n%s", om)
	}
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := promtest.Start(t, ctx, promtest.Config{DataDir: promtest.Backfill(t, []byte(om))})
	for q, want := range map[string]float64{`sum(a_total)`: 9, `b_total`: 30, `count(a_total)`: 2} {
		got := p.Query(t, q)
		if len(got) != 1 || got[0].Value != want {
			t.Errorf("%s = %+v, want %v", q, got, want)
		}
	}
}
