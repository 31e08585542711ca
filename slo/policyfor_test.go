package slo_test

import (
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
		{0.999, day, []time.Duration{time.Hour, 6 * time.Hour, day}, []time.Duration{3 * day}},     // longer than the window
		{0.99, 30 * time.Minute, nil, []time.Duration{time.Hour, 6 * time.Hour, day, 3 * day}},
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
