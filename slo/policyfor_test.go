package slo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

func TestDefaultPolicyForKeepsTiersThatCanFire(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		target        float64
		window        time.Duration
		keep, dropped []time.Duration
	}{
		{0.999, 30 * day, []time.Duration{time.Hour, 6 * time.Hour, day, 3 * day}, nil},
		{0.93, 30 * day, []time.Duration{6 * time.Hour, day, 3 * day}, []time.Duration{time.Hour}}, // 14.4 × 0.07 ≥ 1
		{0.8, 30 * day, []time.Duration{day, 3 * day}, []time.Duration{time.Hour, 6 * time.Hour}},  // 6 × 0.2 ≥ 1
		{0.999, day, nil, []time.Duration{time.Hour, 6 * time.Hour, day, 3 * day}},                 // under 1, and 3d longer than the window
		{0.99, 30 * time.Minute, nil, []time.Duration{time.Hour, 6 * time.Hour, day, 3 * day}},
		// A threshold under 1 would fire while the objective is met.
		{0.999, 28 * day, []time.Duration{time.Hour, 6 * time.Hour, day}, []time.Duration{3 * day}}, // 3d: 0.933
		{0.999, 7 * day, []time.Duration{time.Hour, 6 * time.Hour}, []time.Duration{day, 3 * day}},  // 1d: 0.7
		{0.999, 2 * day, nil, []time.Duration{time.Hour, 6 * time.Hour, day, 3 * day}},              // 1h: 0.96
		{0.999, 10 * day, []time.Duration{time.Hour, 6 * time.Hour, day}, []time.Duration{3 * day}}, // 1d: 1 fires only above 1; 3d: 0.333
		{0.999, 90 * day, []time.Duration{time.Hour, 6 * time.Hour, day, 3 * day}, nil},
	} {
		o := slo.Objective{Name: "o", Target: tt.target, Window: slo.Rolling(tt.window)}
		p, omitted := slo.DefaultPolicyFor(o)
		var dropped []slo.Tier
		for _, ot := range omitted {
			if ot.Reason == "" {
				t.Errorf("DefaultPolicyFor(%v over %v) omits %v without a reason", tt.target, tt.window, ot.Tier)
			}
			dropped = append(dropped, ot.Tier)
		}
		if got := longs(p.Tiers); !equal(got, tt.keep) {
			t.Errorf("DefaultPolicyFor(%v over %v) keeps %v, want %v", tt.target, tt.window, got, tt.keep)
		}
		if got := longs(dropped); !equal(got, tt.dropped) {
			t.Errorf("DefaultPolicyFor(%v over %v) drops %v, want %v", tt.target, tt.window, got, tt.dropped)
		}
		if len(p.Tiers) > 0 {
			if err := p.Validate(o); err != nil {
				t.Errorf("DefaultPolicyFor(%v over %v) does not validate: %v", tt.target, tt.window, err)
			}
		}
	}
}

// TestDefaultPolicyForNeverFiresWhileMet checks every kept default tier
// over many windows: a tier fires when the burn rate exceeds its
// threshold, so a threshold under 1 would alert while the objective is
// met; the tier is left out with that reason instead.
func TestDefaultPolicyForNeverFiresWhileMet(t *testing.T) {
	for _, w := range []slo.Window{
		slo.Rolling(time.Hour), slo.Rolling(24 * time.Hour), slo.Rolling(2 * 24 * time.Hour), slo.Rolling(7 * 24 * time.Hour),
		slo.Rolling(28 * 24 * time.Hour), slo.Rolling(30 * 24 * time.Hour), slo.Rolling(90 * 24 * time.Hour),
		slo.CalendarWindow(slo.Month, nil), slo.CalendarWindow(slo.Quarter, nil), slo.CalendarWindow(slo.Year, nil),
	} {
		o := slo.Objective{Name: "o", Target: 0.999, Window: w}
		p, omitted := slo.DefaultPolicyFor(o)
		for _, tier := range p.Tiers {
			// The shortest period of a calendar window gives the lowest threshold.
			for _, at := range []time.Time{time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)} {
				if th := tier.Threshold(w.Length(at)); th < 1 {
					t.Errorf("DefaultPolicyFor(%v) keeps %v %v with threshold %v < 1 at %v", w, tier.Severity, tier.Long, th, at)
				}
			}
		}
		for _, ot := range omitted {
			if ot.Tier.Long <= w.Length(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)) && !strings.Contains(ot.Reason, "while the objective is met") && !strings.Contains(ot.Reason, "never fire") {
				t.Errorf("DefaultPolicyFor(%v) omits %v for %q", w, ot.Tier.Long, ot.Reason)
			}
		}
	}
	o := slo.Objective{Name: "o", Target: 0.999, Window: slo.Rolling(28 * 24 * time.Hour)}
	_, omitted := slo.DefaultPolicyFor(o)
	want := "burn-rate threshold 0.9333 is under 1: it would fire while the objective is met"
	if len(omitted) != 1 || !strings.Contains(omitted[0].Reason, want) {
		t.Errorf("DefaultPolicyFor(99.9%% over 28d) omits %+v, want the 3d tier with reason containing %q", omitted, want)
	}
	// An explicit policy with such a tier is refused, naming the tier.
	explicit := slo.Policy{Tiers: []slo.Tier{{Severity: slo.Ticket, Long: 72 * time.Hour, Short: 6 * time.Hour, BudgetShare: 0.1}}}
	err := explicit.Validate(o)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate(3d tier over 28d) = %v, want an error containing %q", err, want)
	}
}

func longs(tiers []slo.Tier) []time.Duration {
	var out []time.Duration
	for _, t := range tiers {
		out = append(out, t.Long)
	}
	return out
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
