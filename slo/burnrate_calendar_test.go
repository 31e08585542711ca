package slo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// A tier with a BurnRate keeps it as its threshold in every period of a
// calendar window, and Share follows the period's length; Validate
// refuses a BurnRate beside a BudgetShare, one that is not a positive
// number, and one that spends more than the shortest period's budget.
func TestTierBurnRate(t *testing.T) {
	o := slo.Objective{Name: "monthly", Target: 0.999, Window: slo.CalendarWindow(slo.Month, nil)}
	tier := slo.Tier{Severity: slo.Page, Long: time.Hour, BurnRate: 14.4}
	for _, days := range []time.Duration{28, 29, 30, 31} {
		window := days * 24 * time.Hour
		if th := tier.Threshold(window); th != 14.4 {
			t.Errorf("Threshold(%v days) = %v, want 14.4", days, th)
		}
		if got, want := tier.Share(window), 14.4/float64(days*24); got-want > 1e-12 || want-got > 1e-12 {
			t.Errorf("Share(%v days) = %v, want %v", days, got, want)
		}
	}
	if err := (slo.Policy{Tiers: []slo.Tier{tier}}).Validate(o); err != nil {
		t.Errorf("Validate: %v", err)
	}
	shared := slo.Tier{Severity: slo.Page, Long: time.Hour, BudgetShare: 0.02}
	if s := shared.Share(28 * 24 * time.Hour); s != 0.02 {
		t.Errorf("Share of a BudgetShare tier = %v, want 0.02", s)
	}
	for _, tt := range []struct {
		tier slo.Tier
		want string
	}{
		{slo.Tier{Severity: slo.Page, Long: time.Hour, BurnRate: 14.4, BudgetShare: 0.02}, "sets both BudgetShare 0.02 and BurnRate 14.4"},
		{slo.Tier{Severity: slo.Page, Long: time.Hour, BurnRate: -2}, "BurnRate -2 is not a positive number"},
		{slo.Tier{Severity: slo.Ticket, Long: 7 * 24 * time.Hour, BurnRate: 5}, "spends 125.2% of the budget of a 27d23h window"},
	} {
		err := (slo.Policy{Tiers: []slo.Tier{tt.tier}}).Validate(o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.tier, err, tt.want)
		}
	}
}
