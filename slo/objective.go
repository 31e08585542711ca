package slo

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Method is how an objective counts its budget, as OpenSLO defines it.
type Method uint8

const (
	// Occurrences counts events: the SLI is good events over all events.
	// It is the zero value.
	Occurrences Method = iota
	// Timeslices counts slices of time: a slice is good when its own ratio
	// of good events meets the slice target, and the budget is the share of
	// the window's slices that may be bad.
	Timeslices
)

func (m Method) String() string {
	switch m {
	case Occurrences:
		return "occurrences"
	case Timeslices:
		return "timeslices"
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// Objective is a service level objective: the share of good events (or
// good time slices) a service promises over a window.
type Objective struct {
	// Name identifies the objective in reports and alerts.
	Name string
	// Target is the promised share of good events, a fraction strictly
	// between 0 and 1: 0.999 for "three nines". ParseTarget reads the forms
	// people write ("99.9%").
	Target float64
	// Window is the period the promise covers.
	Window Window
	// Method is Occurrences (the zero value) or Timeslices.
	Method Method
	// SliceTarget is, for Timeslices, the share of good events that makes
	// a slice good. Zero means Target.
	SliceTarget float64
	// Slice is, for Timeslices, the length of one slice. Zero means one
	// minute.
	Slice time.Duration
}

// DefaultSlice is the slice length of a Timeslices objective that sets none.
const DefaultSlice = time.Minute

// Validate reports the first field of o that is not acceptable, naming the
// field and its value.
func (o Objective) Validate() error {
	if err := validTarget("Target", o.Target); err != nil {
		return fmt.Errorf("slo: objective %q: %w", o.Name, err)
	}
	if err := o.Window.Validate(); err != nil {
		return fmt.Errorf("slo: objective %q: %w", o.Name, err)
	}
	switch o.Method {
	case Occurrences:
	case Timeslices:
		if o.SliceTarget != 0 {
			if err := validTarget("SliceTarget", o.SliceTarget); err != nil {
				return fmt.Errorf("slo: objective %q: %w", o.Name, err)
			}
		}
		if o.Slice < 0 {
			return fmt.Errorf("slo: objective %q: Slice %v is negative", o.Name, o.Slice)
		}
		if s := o.slice(); o.Window.Rolling > 0 && o.Window.Rolling%s != 0 {
			return fmt.Errorf("slo: objective %q: Slice %v does not divide Window %v", o.Name, s, o.Window)
		}
		// Calendar windows start at midnight: slices that do not divide
		// a day would straddle the start of a window.
		if s := o.slice(); o.Window.Calendar != NotCalendar && (24*time.Hour)%s != 0 {
			return fmt.Errorf("slo: objective %q: Slice %v does not divide a day, so slices cannot start where the windows of %v start", o.Name, s, o.Window)
		}
	default:
		return fmt.Errorf("slo: objective %q: Method %v is unknown", o.Name, o.Method)
	}
	return nil
}

func validTarget(field string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%s %v is not a number", field, v)
	case v <= 0 || v >= 1:
		return fmt.Errorf("%s %v out of range (0, 1): a target of 1 leaves no error budget", field, v)
	case budget(v) == 0:
		return fmt.Errorf("%s %v is within 1e-15 of 1 and leaves no error budget", field, v)
	}
	return nil
}

func (o Objective) slice() time.Duration {
	if o.Slice == 0 {
		return DefaultSlice
	}
	return o.Slice
}

func (o Objective) sliceTarget() float64 {
	if o.SliceTarget == 0 {
		return o.Target
	}
	return o.SliceTarget
}

// Budget returns the error budget, 1 - Target, rounded to 15 decimal
// places so that the binary error of the subtraction does not show: the
// budget of 0.999 is 0.001, not 0.0010000000000000009, and that of 0.99999
// is 0.00001, not 0.000010000000000065512.
func (o Objective) Budget() float64 { return budget(o.Target) }

func budget(target float64) float64 {
	b, _ := strconv.ParseFloat(strconv.FormatFloat(1-target, 'f', 15, 64), 64)
	return b
}

// Nines returns how many nines the target has: 3 for 0.999, 3.3 for 0.9995.
func (o Objective) Nines() float64 { return -math.Log10(o.Budget()) }

// AllowedBad returns how many of total events may be bad within the budget.
func (o Objective) AllowedBad(total int64) float64 { return o.Budget() * float64(total) }

// AllowedDowntime returns how long the service may be fully down within the
// window that holds t (for a rolling window, any t).
func (o Objective) AllowedDowntime(t time.Time) time.Duration {
	return downtime(o.Budget(), o.Window.Length(t))
}

// AllowedDowntime returns how long a service may be fully down over window
// at target: 43m12s for 0.999 over 30 days.
func AllowedDowntime(target float64, window time.Duration) time.Duration {
	return downtime(budget(target), window)
}

// downtime multiplies window by the budget in decimal, so that 0.0005 ×
// 365 days is 4h22m48s and not a nanosecond short of it.
func downtime(b float64, window time.Duration) time.Duration {
	digits := strconv.FormatFloat(b, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(digits, ".")
	num, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return time.Duration(math.Round(b * float64(window)))
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	num.Mul(num, big.NewInt(int64(window)))
	// Round half up: (num + den/2) / den.
	num.Add(num, new(big.Int).Rsh(den, 1))
	num.Quo(num, den)
	if !num.IsInt64() {
		return Forever
	}
	return time.Duration(num.Int64())
}
