package slo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// A tier whose short window is empty while its long one holds errors
// says so: the burn stopped with the traffic; "no data" is for a long
// window with nothing in it.
func TestTierReasonWhenOnlyTheShortWindowIsEmpty(t *testing.T) {
	o := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	p := slo.DefaultPolicy()
	page := p.Tiers[0]
	for _, c := range []struct {
		name      string
		long      bool // the long window holds events
		want, not string
	}{
		{"short empty", true, "burn rate 50 over 1h, but no events over 5m: the burn has stopped", "no data"},
		{"both empty", false, "no data over 1h", "5m"},
	} {
		rs := p.Evaluate(o, o.Window.Length(time.Now()), func(d time.Duration) (float64, bool) {
			if d == page.Long && c.long {
				return 0.05, true
			}
			return 0, false
		})
		if r := rs[0]; r.Firing || !strings.Contains(r.Reason, c.want) || strings.Contains(r.Reason, c.not) {
			t.Errorf("%s: page tier firing %v, reason %q; want quiet, %q, no %q", c.name, r.Firing, r.Reason, c.want, c.not)
		}
	}
}
