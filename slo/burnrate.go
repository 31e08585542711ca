package slo

import (
	"fmt"
	"math"
	"time"
)

// Severity names how urgently a firing tier wants attention.
type Severity string

// The severities of the SRE workbook's policy.
const (
	Page   Severity = "page"
	Ticket Severity = "ticket"
)

// Tier is one rule of a multi-window, multi-burn-rate alert policy (Google
// SRE Workbook, "Alerting on SLOs"): it fires when the error rate over both
// its long and its short window would spend BudgetShare of the whole
// window's budget within the long window.
type Tier struct {
	// Severity is Page or Ticket: wake someone, or file work. The label
	// an alert carries for it (such as "critical") is chosen where the
	// alert is written, in promrules.Config.Severity.
	Severity Severity
	// Long is the window over which BudgetShare would be spent. It is at
	// least MinTierWindow.
	Long time.Duration
	// Short confirms that the burn is still going on, so that the alert
	// resets soon after the problem ends. Zero means Long / 12. Set or
	// not, it is at least MinTierWindow and shorter than Long.
	Short time.Duration
	// BudgetShare is the share of the budget the tier guards: 0.02 pages
	// when 2% of a 30-day budget would go in one hour. Its threshold, a
	// burn rate, scales with the window: over a calendar month it is
	// lower in February than in March. Leave it zero when BurnRate is set.
	BudgetShare float64
	// BurnRate, when not zero, is the tier's threshold in every window,
	// whatever its length: a calendar month's tier fires at the same burn
	// rate in February as in March, as an OpenSLO condition's threshold
	// does, and the share it guards (Share) follows the month instead.
	// Zero means BudgetShare sets the threshold.
	BurnRate float64
	// For is how long both windows must stay over the threshold before
	// the alert fires: the for: of the alert rule package promrules
	// writes, and OpenSLO's alertAfter. Zero fires at the first
	// evaluation that sees the burn. A Tracker does not apply it: its
	// TierResult.Firing says whether the condition holds at the time of
	// the status, which is what a deploy gate or a page wants to know.
	For time.Duration
}

// MinTierWindow is the shortest long or short window a Tier may have: a
// burn rate over less than a second is noise, and Prometheus ranges are
// written in whole seconds.
const MinTierWindow = time.Second

// ShortWindow returns Short, or Long / 12 when Short is zero.
func (t Tier) ShortWindow() time.Duration {
	if t.Short == 0 {
		return t.Long / 12
	}
	return t.Short
}

// Threshold returns the burn rate at which the tier fires for an objective
// over window: BurnRate when it is set, else BudgetShare × window / Long.
// For 2% over one hour of a 30-day window it is 14.4.
func (t Tier) Threshold(window time.Duration) float64 {
	if t.BurnRate != 0 {
		return t.BurnRate
	}
	// Rounded to 12 significant digits so that 0.02 × 720h / 1h reads 14.4.
	v := t.BudgetShare * float64(window) / float64(t.Long)
	return roundSig(v, 12)
}

// Share returns the share of the budget the tier guards in a window of
// length window: BudgetShare, or when BurnRate is set, BurnRate × Long /
// window (14.4 over one hour of a 30-day month is 2%, of February 2.14%).
func (t Tier) Share(window time.Duration) float64 {
	if t.BurnRate == 0 {
		return t.BudgetShare
	}
	return roundSig(t.BurnRate*float64(t.Long)/float64(window), 12)
}

func roundSig(v float64, digits int) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// Policy is a set of tiers for objectives over one window length.
type Policy struct {
	Tiers []Tier
}

// DefaultPolicy returns the SRE workbook's four tiers: page on 2% of the
// budget in 1h (short 5m) or 5% in 6h (30m), ticket on 10% in 1d (2h) or
// 10% in 3d (6h). For a 30-day window their thresholds are 14.4, 6, 3 and
// 1; for another window they scale with its length (28 days: 13.44, 5.6,
// 2.8, 0.933). DefaultPolicyFor keeps those that suit an objective: over
// 28 days it leaves out the 3-day ticket, whose 0.933 would fire while the
// objective is met.
func DefaultPolicy() Policy {
	return Policy{Tiers: []Tier{
		{Severity: Page, Long: time.Hour, Short: 5 * time.Minute, BudgetShare: 0.02},
		{Severity: Page, Long: 6 * time.Hour, Short: 30 * time.Minute, BudgetShare: 0.05},
		{Severity: Ticket, Long: 24 * time.Hour, Short: 2 * time.Hour, BudgetShare: 0.10},
		{Severity: Ticket, Long: 72 * time.Hour, Short: 6 * time.Hour, BudgetShare: 0.10},
	}}
}

// Validate checks p for objective o: severities Page or Ticket, windows of
// at least MinTierWindow with short shorter than long, shares in (0, 1]
// (or, for a tier with a BurnRate, a positive burn rate that spends at
// most the whole budget of the window's shortest period),
// and every tier able to fire, and only when the objective is being
// missed. A tier whose threshold × budget is 1 or more would need an error
// rate of 100% or more, so it could never fire; that is an error, not a
// quiet pager. A tier whose threshold is under 1 would fire at a burn rate
// that leaves budget over at the end of the window, alerting while the
// objective is met; that is an error too (a threshold of exactly 1, the
// workbook's 3-day ticket over 30 days, fires only above 1). For a
// calendar window the first threshold is that of its longest period, the
// second that of its shortest.
func (p Policy) Validate(o Objective) error {
	if len(p.Tiers) == 0 {
		return fmt.Errorf("slo: policy has no tiers")
	}
	for i, t := range p.Tiers {
		switch {
		case t.Severity == "":
			return fmt.Errorf("slo: tier %d: Severity is empty; want page or ticket", i)
		case t.Severity != Page && t.Severity != Ticket:
			return fmt.Errorf("slo: tier %d: Severity %q is not page or ticket (map it to an alert label with promrules.Config.Severity)", i, t.Severity)
		case t.Long <= 0:
			return fmt.Errorf("slo: tier %d: Long %v is not positive", i, t.Long)
		case t.Long < MinTierWindow:
			return fmt.Errorf("slo: tier %d: Long %v is under a second (MinTierWindow)", i, t.Long)
		case t.Short < 0:
			return fmt.Errorf("slo: tier %d: Short %v is negative", i, t.Short)
		case t.Short > 0 && t.Short < MinTierWindow:
			return fmt.Errorf("slo: tier %d: Short %v is under a second (MinTierWindow)", i, t.Short)
		case t.Short == 0 && t.ShortWindow() < MinTierWindow:
			return fmt.Errorf("slo: tier %d: Short window of Long %v / 12 is %v, under a second (MinTierWindow); set Short", i, FormatDuration(t.Long), t.ShortWindow())
		case t.ShortWindow() >= t.Long:
			return fmt.Errorf("slo: tier %d: Short %v is not shorter than Long %v", i, FormatDuration(t.Short), FormatDuration(t.Long))
		case t.For < 0:
			return fmt.Errorf("slo: tier %d: For %v is negative", i, t.For)
		case t.BurnRate != 0 && t.BudgetShare != 0:
			return fmt.Errorf("slo: tier %d: sets both BudgetShare %v and BurnRate %v; give one", i, t.BudgetShare, t.BurnRate)
		case t.BurnRate != 0 && (math.IsNaN(t.BurnRate) || math.IsInf(t.BurnRate, 0) || t.BurnRate < 0):
			return fmt.Errorf("slo: tier %d: BurnRate %v is not a positive number", i, t.BurnRate)
		case t.BurnRate == 0 && (math.IsNaN(t.BudgetShare) || t.BudgetShare <= 0 || t.BudgetShare > 1):
			return fmt.Errorf("slo: tier %d: BudgetShare %v out of range (0, 1]", i, t.BudgetShare)
		case t.BurnRate != 0 && t.Share(o.Window.minLength()) > 1:
			return fmt.Errorf("slo: tier %d (%s, %v): burn rate %v over %v spends %.4g%% of the budget of a %v window, more than all of it, before the tier fires", i, t.Severity, FormatDuration(t.Long), t.BurnRate, FormatDuration(t.Long), 100*t.Share(o.Window.minLength()), FormatDuration(o.Window.minLength()))
		}
		if reason := t.unfit(o); reason != "" {
			return fmt.Errorf("slo: tier %d (%s, %v): %s", i, t.Severity, FormatDuration(t.Long), reason)
		}
	}
	return nil
}

// unfit says why tier t cannot serve objective o, or returns "": its long
// window is longer than o's window, its threshold needs an error rate of
// 100% or more (it can never fire), or its threshold is under 1 (it would
// fire while the objective is met). A calendar window is judged at its
// longest period for the first two and at its shortest for the last.
func (t Tier) unfit(o Objective) string {
	window := o.Window.maxLength()
	if t.Long > window {
		return fmt.Sprintf("long window %v is longer than the window %v", FormatDuration(t.Long), o.Window)
	}
	b := o.Budget()
	if th := t.Threshold(window); th*b >= 1 {
		return fmt.Sprintf("burn-rate threshold %.4g × budget %v = %.4g ≥ 1: it would need an error rate over 100%% and can never fire", th, b, th*b)
	}
	if th := t.Threshold(o.Window.minLength()); th < 1 {
		return fmt.Sprintf("burn-rate threshold %.4g is under 1: it would fire while the objective is met, at burn rates that spend less than the budget over the window", th)
	}
	return ""
}

// TierResult says whether one tier fires and why.
type TierResult struct {
	Tier      Tier
	Threshold float64
	// LongBurn and ShortBurn are the burn rates observed over the tier's
	// windows; zero when a window has no data.
	LongBurn, ShortBurn float64
	Firing              bool
	// Reason explains the decision in a sentence.
	Reason string
}

// Evaluate judges each tier of p for objective o, given the error rate over
// a window length. errorRate reports false when that window has no data.
func (p Policy) Evaluate(o Objective, window time.Duration, errorRate func(d time.Duration) (float64, bool)) []TierResult {
	b := o.Budget()
	out := make([]TierResult, len(p.Tiers))
	for i, t := range p.Tiers {
		r := TierResult{Tier: t, Threshold: t.Threshold(window)}
		longRate, longOK := errorRate(t.Long)
		shortRate, shortOK := errorRate(t.ShortWindow())
		r.LongBurn, r.ShortBurn = longRate/b, shortRate/b
		long, short := FormatDuration(t.Long), FormatDuration(t.ShortWindow())
		switch {
		case !longOK:
			r.Reason = fmt.Sprintf("no data over %s", long)
		case !shortOK:
			r.Reason = fmt.Sprintf("burn rate %.3g over %s, but no events over %s: the burn has stopped", r.LongBurn, long, short)
		case r.LongBurn > r.Threshold && r.ShortBurn > r.Threshold:
			r.Firing = true
			r.Reason = fmt.Sprintf("burn rate %.3g over %s and %.3g over %s both exceed %.4g: %.0f%% of the budget would go in %s",
				r.LongBurn, long, r.ShortBurn, short, r.Threshold, 100*t.Share(window), long)
		case r.LongBurn > r.Threshold:
			r.Reason = fmt.Sprintf("burn rate %.3g over %s exceeds %.4g, but %.3g over %s does not: the burn has stopped",
				r.LongBurn, long, r.Threshold, r.ShortBurn, short)
		default:
			r.Reason = fmt.Sprintf("burn rate %.3g over %s is within %.4g", r.LongBurn, long, r.Threshold)
		}
		out[i] = r
	}
	return out
}
