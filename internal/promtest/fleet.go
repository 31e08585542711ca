package promtest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// FleetSLO is one objective of a Fleet and the traffic of each of its
// replicas.
type FleetSLO struct {
	SLO promrules.SLO
	// ErrorRate is the share of each replica's events that are bad, by
	// replica (instance label); a replica serves 1,000 events a minute
	// times its index plus one. Nil is an SLO with no events at all.
	ErrorRate []float64
	// Spike, when positive, is the error rate of every replica over the
	// last SpikeFor of the history.
	Spike    float64
	SpikeFor time.Duration
}

// Fleet is a Prometheus holding 29 days of runkit_slo_events_total of
// several SLOs, backfilled, with their rules loaded.
type Fleet struct {
	*Server
	// End is the time of the last sample, shortly before Prometheus
	// started; the first is 29 days before it, so each SLO's 30-day
	// window holds every event of the history for a day.
	End time.Time
	// Good and Total are each SLO's events over the history, by name.
	Good, Total map[string]int64
}

// StartFleet backfills the SLOs' events and starts Prometheus with their
// rules (cfg), and returns once every SLO's rules have run. Samples are 10 minutes apart, and one minute apart over the
// last three hours, so that the short windows have their own.
func StartFleet(t testing.TB, ctx context.Context, cfg promrules.Config, slos ...FleetSLO) *Fleet {
	t.Helper()
	end := time.Now().Add(-30 * time.Second).Truncate(time.Second)
	start := end.Add(-29 * 24 * time.Hour)
	var times []time.Time
	for at := start; !at.After(end); {
		times = append(times, at)
		if end.Sub(at) > 3*time.Hour {
			at = at.Add(10 * time.Minute)
		} else {
			at = at.Add(time.Minute)
		}
	}
	f := &Fleet{End: end, Good: map[string]int64{}, Total: map[string]int64{}}
	var counters []Counter
	var rules []promrules.SLO
	for _, s := range slos {
		rules = append(rules, s.SLO)
		name := s.SLO.Objective.Name
		for i, rate := range s.ErrorRate {
			instance := string(rune('a' + i))
			// Counters that start well above zero, as a replica's that has
			// run a while: Prometheus's extrapolation is then the same for
			// every series, and the ratios exact.
			good := Counter{Name: promrules.EventsMetric[:len(promrules.EventsMetric)-len("_total")],
				Labels: map[string]string{"slo": name, "outcome": "good", "instance": instance}}
			bad := good
			bad.Labels = map[string]string{"slo": name, "outcome": "bad", "instance": instance}
			g, b := 1e6, 1e4
			var carry float64
			for j, at := range times {
				if j > 0 {
					step := at.Sub(times[j-1])
					n := float64(1000*(i+1)) * step.Minutes()
					r := rate
					if s.Spike > 0 && end.Sub(at) < s.SpikeFor {
						r = s.Spike
					}
					carry += n * r
					nb := float64(int64(carry))
					carry -= nb
					g += n - nb
					b += nb
					f.Good[name] += int64(n - nb)
					f.Total[name] += int64(n)
				}
				good.Times, good.Values = append(good.Times, at), append(good.Values, g)
				bad.Times, bad.Values = append(bad.Times, at), append(bad.Values, b)
			}
			counters = append(counters, good, bad)
		}
	}
	var buf bytes.Buffer
	if err := promrules.Write(&buf, cfg, rules...); err != nil {
		t.Fatal(err)
	}
	data := Backfill(t, OpenMetrics(counters...))
	f.Server = Start(t, ctx, Config{Rules: buf.Bytes(), DataDir: data})
	// Until every group has run once.
	if !Until(ctx, func() bool { return len(f.Query(t, promrules.Info)) == len(slos) }) {
		t.Fatalf("the rules never ran: %v", ctx.Err())
	}
	return f
}

// Evaluate is slo.Objective.Evaluate on the events of the SLO named name.
func (f *Fleet) Evaluate(t testing.TB, o slo.Objective) slo.Status {
	t.Helper()
	st, err := o.Evaluate(f.Good[o.Name], f.Total[o.Name])
	if err != nil {
		t.Fatal(err)
	}
	return st
}
