package promrules_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// generated is one SLO of the property test, with its input series and
// the error ratio over 1h they make, per region ("" when summed).
type generated struct {
	s      promrules.SLO
	series []inputSeries
	want   map[string]float64
}

// generate makes an SLO of source form form (0 to 6), its target, window,
// kept labels and counters drawn from r. Each of two replicas in two
// regions serves a whole number of requests a minute, some bad.
func generate(r *rand.Rand, i, form int) generated {
	name := fmt.Sprintf("gen-%03d", i)
	targets := []float64{0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999}
	windows := []time.Duration{day, 2 * day, 7 * day, 14 * day, 28 * day, 30 * day, 60 * day, 90 * day}
	o := slo.Objective{Name: name, Target: targets[r.IntN(len(targets))], Window: slo.Rolling(windows[r.IntN(len(windows))])}
	if r.IntN(6) == 0 {
		o.Window = slo.CalendarWindow([]slo.Calendar{slo.Month, slo.Quarter, slo.Year}[r.IntN(3)], nil)
	}
	g := generated{s: promrules.SLO{Objective: o}, want: map[string]float64{}}
	if r.IntN(2) == 0 {
		g.s.Keep = []string{"region"}
	}
	if r.IntN(3) == 0 {
		g.s.Labels = map[string]string{"team": "payments"}
	}
	// A 1h tier, from the default policy or of its own, so that the 1h
	// ratio is recorded.
	if o.Window.Calendar == slo.NotCalendar {
		p, _ := slo.DefaultPolicyFor(o)
		if len(p.Tiers) == 0 || p.Tiers[0].Long != time.Hour {
			th := min(14.4, 0.5/o.Budget())
			g.s.Policy = &slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: time.Hour, BudgetShare: th * float64(time.Hour) / float64(o.Window.Rolling)}}}
		}
	}
	id := fmt.Sprintf(`slo_id=%q`, name)
	by := func(s string) string {
		if g.s.Keep != nil {
			return "sum by (region) (" + s + ")"
		}
		return "sum(" + s + ")"
	}
	threshold := promrules.DefaultBuckets[r.IntN(len(promrules.DefaultBuckets))]
	switch form {
	case 0:
		g.s.Source = promrules.Events{}
	case 1:
		g.s.Source = promrules.Ratio{Bad: `req_total{` + id + `,code="500"}`, Total: `req_total{` + id + `}`}
	case 2:
		g.s.Source = promrules.Ratio{Good: `req_total{` + id + `,code="200"}`, Total: `req_total{` + id + `}`}
	case 3:
		g.s.Source = promrules.Ratio{Bad: by(`rate(req_total{` + id + `,code="500"}[{{.window}}])`), Total: by(`rate(req_total{` + id + `}[{{.window}}])`)}
	case 4:
		g.s.Source = promrules.Ratio{Good: by(`increase(req_total{` + id + `,code="200"}[{{.window}}])`), Total: by(`increase(req_total{` + id + `}[{{.window}}])`)}
	case 5:
		g.s.Source = promrules.Ratio{Bad: `rate(req_total{` + id + `,code="500"}[{{.window}}])`, Total: `rate(req_total{` + id + `}[{{.window}}])`}
	default:
		g.s.Source = promrules.Latency{Histogram: "lat_seconds", Matchers: id, Threshold: threshold}
	}
	bad, total := map[string]float64{}, map[string]float64{}
	for _, region := range []string{"eu", "us"} {
		for _, instance := range []string{"a", "b"} {
			t := float64(1 + r.IntN(200))
			b := float64(r.IntN(int(t) + 1))
			if r.IntN(3) == 0 {
				b = 0
			}
			bad[region] += b
			total[region] += t
			l := fmt.Sprintf(`region=%q,instance=%q`, region, instance)
			var s []inputSeries
			switch form {
			case 0:
				s = []inputSeries{
					{Series: fmt.Sprintf(`runkit_slo_events_total{slo=%q,outcome="good",%s}`, name, l), Values: fmt.Sprintf("0+%vx100", t-b)},
					{Series: fmt.Sprintf(`runkit_slo_events_total{slo=%q,outcome="bad",%s}`, name, l), Values: fmt.Sprintf("0+%vx100", b)},
				}
			case 6:
				s = []inputSeries{
					{Series: fmt.Sprintf(`lat_seconds_bucket{%s,le=%q,%s}`, id, fmt.Sprint(threshold), l), Values: fmt.Sprintf("0+%vx100", t-b)},
					{Series: fmt.Sprintf(`lat_seconds_bucket{%s,le="+Inf",%s}`, id, l), Values: fmt.Sprintf("0+%vx100", t)},
					{Series: fmt.Sprintf(`lat_seconds_count{%s,%s}`, id, l), Values: fmt.Sprintf("0+%vx100", t)},
				}
			default:
				s = []inputSeries{
					{Series: fmt.Sprintf(`req_total{%s,code="500",%s}`, id, l), Values: fmt.Sprintf("0+%vx100", b)},
					{Series: fmt.Sprintf(`req_total{%s,code="200",%s}`, id, l), Values: fmt.Sprintf("0+%vx100", t-b)},
				}
			}
			g.series = append(g.series, s...)
		}
	}
	if g.s.Keep != nil {
		for _, region := range []string{"eu", "us"} {
			g.want[region] = bad[region] / total[region]
		}
	} else {
		g.want[""] = (bad["eu"] + bad["us"]) / (total["eu"] + total["us"])
	}
	return g
}

// For generated SLOs of every source form, targets from 90% to 99.999%,
// windows from 1 day to 90 days and calendar ones, with and without a
// kept label: every SLO Write accepts makes a file promtool check rules
// accepts, and its recorded 1h error ratio is bad / total of the input
// series, per region when kept, within 1e-6. What Write refuses is an
// *Error (a calendar window).
func TestPropertyRules(t *testing.T) {
	promtool := tool(t, "promtool")
	r := rand.New(rand.NewPCG(18, 2026))
	var accepted []promrules.SLO
	var input []inputSeries
	var exprs []exprTest
	refused := 0
	for i := range 49 {
		g := generate(r, i, i%7)
		err := promrules.Write(io.Discard, promrules.Config{}, g.s)
		if err != nil {
			var pe *promrules.Error
			if !errors.As(err, &pe) || g.s.Objective.Window.Calendar == slo.NotCalendar {
				t.Errorf("Write(%+v) = %v, want rules, or an *Error for a calendar window", g.s, err)
			}
			refused++
			continue
		}
		accepted = append(accepted, g.s)
		input = append(input, g.series...)
		for region, want := range g.want {
			sel := fmt.Sprintf(`slo=%q`, g.s.Objective.Name)
			if region != "" {
				sel += fmt.Sprintf(`,region=%q`, region)
			}
			if g.s.Labels != nil {
				sel += `,team="payments"`
			}
			exprs = append(exprs, exprTest{
				Expr:       fmt.Sprintf(`abs(%s1h{%s} - %v) < bool 1e-6`, promrules.ErrorRatio, sel, want),
				EvalTime:   "90m",
				ExpSamples: []expSample{{Labels: "{" + sel + "}", Value: 1}},
			})
		}
	}
	if refused == 0 || len(accepted) < 35 {
		t.Fatalf("%d SLOs accepted, %d refused: the generator should give both", len(accepted), refused)
	}
	out := run(t, promtool, "check", "rules", writeRules(t, t.TempDir(), promrules.Config{}, accepted...))
	t.Logf("%d SLOs accepted, %d refused; promtool: %s", len(accepted), refused, out)
	runUnitTest(t, promtool, 15*time.Minute, []testCase{{Interval: "1m", InputSeries: input, Exprs: exprs}}, accepted...)
}
