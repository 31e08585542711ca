package slo

import (
	"fmt"
	"math"
	"time"
)

// Forever is the ExhaustsIn of a budget that is not burning.
const Forever = time.Duration(math.MaxInt64)

// Status is an objective evaluated against good and total counts. With the
// Timeslices method the counts are of slices: Total is the slices elapsed
// so far (seen, for a Tracker), Good those of them that were good.
type Status struct {
	Objective string
	Target    float64
	Method    Method
	// Good and Total are the counts evaluated.
	Good, Total int64
	// NoData is true when Total is zero: no events (for a Tracker of
	// Timeslices, no events in the window). The SLI then reads 1, nothing
	// is consumed and the budget does not burn: a quiet night is not an
	// outage, and no field is NaN.
	NoData bool
	// SLI is Good / Total.
	SLI float64
	// ErrorRate is (Total - Good) / Total.
	ErrorRate float64
	// Budget is 1 - Target, the error rate the objective allows.
	Budget float64
	// AllowedBad is Budget × Total (for Timeslices, × the window's slices).
	// For a TrackerStatus that observed only part of its window, it is
	// Budget × the events the whole window would hold at the observed
	// rate: Total / ObservedShare.
	AllowedBad float64
	// Consumed is the share of the budget spent: bad / AllowedBad.
	Consumed float64
	// Remaining is 1 - Consumed. It goes below zero when the objective is
	// missed and is never clamped, so that how badly it was missed shows.
	Remaining float64
	// BurnRate is ErrorRate / Budget: 1 spends the budget exactly over the
	// window, 14.4 spends a 30-day budget in 50 hours. For Timeslices the
	// error rate is over the elapsed slices, so 40 bad minutes in the first
	// hour of a month burn at 667, not at the 0.93 of the whole month.
	BurnRate float64
	// ExhaustsIn is how long the remaining budget lasts at BurnRate:
	// Remaining / BurnRate × window. It is Forever at a burn rate of zero
	// and zero once the budget is spent. A TrackerStatus projects at its
	// RecentBurnRate instead, and says so.
	ExhaustsIn time.Duration
}

// Evaluate returns the status of o for good and total events observed over
// one window (Occurrences). It returns an error for negative counts or good
// greater than total. The window length for ExhaustsIn is that of a rolling
// window, or of the calendar period holding the current time.
func (o Objective) Evaluate(good, total int64) (Status, error) {
	return o.EvaluateAt(good, total, time.Now())
}

// EvaluateAt is Evaluate for the window that holds t.
func (o Objective) EvaluateAt(good, total int64, t time.Time) (Status, error) {
	if err := o.Validate(); err != nil {
		return Status{}, err
	}
	if err := checkCounts(good, total); err != nil {
		return Status{}, err
	}
	return o.evaluate(good, total, float64(total), o.Window.Length(t)), nil
}

// EvaluateSlices returns the status of a Timeslices objective from the
// count of bad slices so far, the slices elapsed so far, and the number of
// slices in the whole window. The budget is a share of all the window's
// slices, so a window that has only begun already has its whole budget;
// the error rate and the burn rate are over the elapsed slices, so a burn
// early in the window shows at its real pace. Zero elapsed slices is no
// data. It returns an error unless 0 ≤ bad ≤ elapsed ≤ windowSlices.
func (o Objective) EvaluateSlices(bad, elapsed, windowSlices int64) (Status, error) {
	if err := o.Validate(); err != nil {
		return Status{}, err
	}
	switch {
	case bad < 0:
		return Status{}, fmt.Errorf("slo: bad slices %d is negative", bad)
	case bad > elapsed:
		return Status{}, fmt.Errorf("slo: bad slices %d is greater than elapsed slices %d", bad, elapsed)
	case elapsed > windowSlices:
		return Status{}, fmt.Errorf("slo: elapsed slices %d is greater than window slices %d", elapsed, windowSlices)
	}
	return o.evaluate(elapsed-bad, elapsed, float64(windowSlices), time.Duration(windowSlices)*o.slice()), nil
}

func checkCounts(good, total int64) error {
	switch {
	case total < 0:
		return fmt.Errorf("slo: total %d is negative", total)
	case good < 0:
		return fmt.Errorf("slo: good %d is negative", good)
	case good > total:
		return fmt.Errorf("slo: good %d is greater than total %d", good, total)
	}
	return nil
}

// evaluate does the arithmetic. allowedOver is what the budget is a share
// of: the events seen, or every slice of the window; good and total are the
// events seen, or the slices elapsed.
func (o Objective) evaluate(good, total int64, allowedOver float64, window time.Duration) Status {
	s := Status{
		Objective: o.Name, Target: o.Target, Method: o.Method,
		Good: good, Total: total, Budget: o.Budget(),
	}
	s.AllowedBad = s.Budget * allowedOver
	if total == 0 {
		s.NoData, s.SLI, s.Remaining, s.ExhaustsIn = true, 1, 1, Forever
		return s
	}
	bad := float64(total - good)
	s.SLI = float64(good) / float64(total)
	s.ErrorRate = bad / float64(total)
	s.Consumed = bad / s.AllowedBad
	s.Remaining = 1 - s.Consumed
	s.BurnRate = s.ErrorRate / s.Budget
	s.ExhaustsIn = exhaustsIn(s.Remaining, s.BurnRate, window)
	return s
}

func exhaustsIn(remaining, burn float64, window time.Duration) time.Duration {
	switch {
	case remaining <= 0:
		return 0
	case burn == 0:
		return Forever
	}
	d := remaining / burn * float64(window)
	if d >= float64(Forever) {
		return Forever
	}
	return time.Duration(d)
}

// BurnRate returns the burn rate of an error rate against target:
// errorRate / (1 - target). An error rate outside [0, 1] or a target
// outside (0, 1) is an error naming it, and gives 0.
func BurnRate(errorRate, target float64) (float64, error) {
	if err := validTarget("target", target, true); err != nil {
		return 0, fmt.Errorf("slo: BurnRate: %w", err)
	}
	if math.IsNaN(errorRate) || errorRate < 0 || errorRate > 1 {
		return 0, fmt.Errorf("slo: BurnRate: errorRate %v out of range [0, 1]", errorRate)
	}
	return errorRate / budget(target), nil
}
