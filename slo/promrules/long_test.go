package promrules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// Over 3 days of two replicas, the first day and a half at 1,000 events
// a minute with 0.1% bad and the rest at 100 a minute with 1% bad, the
// 3-day and 30-day error ratios Prometheus sums from the events recorded
// each Step are the ones it reads from the raw counters, within 0.1%, and
// the traffic-weighted truth, 0.18% (an average of the ratios would say
// 0.55%). promtool evaluates the rules every Step over the 3 days.
func TestLongWindowsSumTheRecordedEvents(t *testing.T) {
	promtool := tool(t, "promtool")
	dir := t.TempDir()
	o := slo.Objective{Name: "x", Target: 0.999, Window: slo.Rolling(30 * day)}
	rules := writeRules(t, dir, promrules.Config{}, promrules.SLO{Objective: o})
	const half = 36 * 60 // minutes
	raw := func(w string) string {
		return `sum(increase(runkit_slo_events_total{slo="x",outcome="bad"}[` + w + `])) / sum(increase(runkit_slo_events_total{slo="x"}[` + w + `]))`
	}
	var series string
	for _, inst := range []string{"a", "b"} {
		// Each replica: good +999 then +99 a minute, bad +1 throughout.
		series += fmt.Sprintf(`      - series: 'runkit_slo_events_total{slo="x",outcome="good",instance=%q}'
        values: '0+999x%d %d+99x%d'
      - series: 'runkit_slo_events_total{slo="x",outcome="bad",instance=%q}'
        values: '0+1x%d'
`, inst, half, 999*half+99, half-1, inst, 2*half)
	}
	test := fmt.Sprintf(`rule_files: [%q]
evaluation_interval: 5m
tests:
  - interval: 1m
    input_series:
%s    promql_expr_test:
      - expr: 'abs(runkit:slo_errors:ratio_rate3d{slo="x"} / scalar(%s) - 1) < bool 0.001'
        eval_time: 3d
        exp_samples:
          - labels: '{slo="x"}'
            value: 1
      - expr: 'abs(runkit:slo_errors:ratio_rate30d{slo="x"} / scalar(%s) - 1) < bool 0.001'
        eval_time: 3d
        exp_samples:
          - labels: '{slo="x"}'
            value: 1
      - expr: 'abs(vector(scalar(%s)) / (2 / 1100) - 1) < bool 0.001'
        eval_time: 3d
        exp_samples:
          - value: 1
`, rules, series, raw("3d"), raw("30d"), raw("3d"))
	path := filepath.Join(dir, "test.yaml")
	if err := os.WriteFile(path, []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run(t, promtool, "test", "rules", path)
	t.Logf("promtool test rules over 3 days: %v", time.Since(start).Round(time.Millisecond))
}
