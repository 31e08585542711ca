package promtest

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
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
	// Good and Total are each SLO's events over the history, by name
	// (an SLO of one name in two services counts both).
	Good, Total map[string]int64
}

// StartFleet backfills the SLOs' events, and the events their rules (cfg)
// record each promrules.Step, as a Prometheus that had run them all along
// would hold them (the events of each Step, exactly), and starts
// Prometheus with the rules; it returns once every SLO's rules have run.
// Samples are two minutes apart.
func StartFleet(t testing.TB, ctx context.Context, cfg promrules.Config, slos ...FleetSLO) *Fleet {
	t.Helper()
	end := time.Now().Add(-30 * time.Second).Truncate(time.Minute)
	start := end.Add(-29 * 24 * time.Hour)
	var times []time.Time
	for at := start; !at.After(end); at = at.Add(2 * time.Minute) {
		times = append(times, at)
	}
	f := &Fleet{End: end, Good: map[string]int64{}, Total: map[string]int64{}}
	var counters, steps []Counter
	var rules []promrules.SLO
	for _, s := range slos {
		rules = append(rules, s.SLO)
		name := s.SLO.Objective.Name
		for i, rate := range s.ErrorRate {
			instance := string(rune('a' + i))
			// Counters that start well above zero, as a replica's that has
			// run a while: Prometheus's extrapolation is then the same for
			// every series, and the ratios exact.
			good := Counter{Name: strings.TrimSuffix(promrules.EventsMetric, "_total"),
				Labels: map[string]string{"slo": name, "outcome": "good", "instance": instance}}
			bad := good
			bad.Labels = map[string]string{"slo": name, "outcome": "bad", "instance": instance}
			if s.SLO.Service != "" {
				// The service's own scrape job: an SLO of the same name
				// in another service reads its own counters.
				good.Labels["job"], bad.Labels["job"] = s.SLO.Service, s.SLO.Service
			}
			g, b := 1e6, 1e4
			var carry float64
			// The events of each Step, at the Step's end.
			stepBad, stepTotal := map[time.Time]float64{}, map[time.Time]float64{}
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
					// The last, partial Step ends with the history:
					// nothing may be written past what the head accepts.
					stepEnd := at.Add(promrules.Step - time.Nanosecond).Truncate(promrules.Step)
					if stepEnd.After(end) {
						stepEnd = end
					}
					stepBad[stepEnd] += nb
					stepTotal[stepEnd] += n
				}
				good.Times, good.Values = append(good.Times, at), append(good.Values, g)
				bad.Times, bad.Values = append(bad.Times, at), append(bad.Values, b)
			}
			counters = append(counters, good, bad)
			if !cfg.RawWindows {
				steps = append(steps, stepSeries(s.SLO, instance, stepBad, stepTotal)...)
			}
		}
	}
	counters = append(counters, mergeSteps(steps)...)
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

// stepSeries are one replica's recorded events of each Step, labelled as
// the rules label them: slo, the SLO's Labels, its service, and instance
// when it is kept.
func stepSeries(s promrules.SLO, instance string, bad, total map[time.Time]float64) []Counter {
	labels := maps.Clone(s.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels["slo"] = s.Objective.Name
	if _, ok := labels["service"]; !ok && s.Service != "" {
		labels["service"] = s.Service
	}
	for _, k := range s.Keep {
		if k == "instance" {
			labels["instance"] = instance
		}
	}
	step := promrules.Duration(promrules.Step)
	b := Counter{Name: promrules.BadIncrease + step, Gauge: true, Labels: labels}
	t := Counter{Name: promrules.TotalIncrease + step, Gauge: true, Labels: labels}
	for _, at := range slices.SortedFunc(maps.Keys(total), time.Time.Compare) {
		b.Times, b.Values = append(b.Times, at), append(b.Values, bad[at])
		t.Times, t.Values = append(t.Times, at), append(t.Values, total[at])
	}
	return []Counter{b, t}
}

// mergeSteps sums the series of the same name and labels: the replicas
// the rules sum.
func mergeSteps(steps []Counter) []Counter {
	var out []Counter
	for _, c := range steps {
		i := slices.IndexFunc(out, func(o Counter) bool { return o.Name == c.Name && maps.Equal(o.Labels, c.Labels) })
		if i < 0 {
			out = append(out, Counter{Name: c.Name, Gauge: true, Labels: c.Labels, Times: c.Times, Values: slices.Clone(c.Values)})
			continue
		}
		for j := range c.Values {
			out[i].Values[j] += c.Values[j]
		}
	}
	return out
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
