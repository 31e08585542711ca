package slo

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	// Name identifies the objective in reports, alerts and the slo label
	// of its metrics. It must not be empty, and must be UTF-8 text without
	// control characters (no newline, tab or NUL).
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
	// a slice good. Zero means Target. Set with Occurrences, it is an error.
	SliceTarget float64
	// Slice is, for Timeslices, the length of one slice. Zero means one
	// minute. Set with Occurrences, it is an error.
	Slice time.Duration
}

// DefaultSlice is the slice length of a Timeslices objective that sets none.
const DefaultSlice = time.Minute

// Validate reports the first field of o that is not acceptable, naming the
// field and its value.
func (o Objective) Validate() error {
	if err := validName(o.Name); err != nil {
		return err
	}
	if err := validTarget("Target", o.Target, true); err != nil {
		return fmt.Errorf("slo: objective %q: %w", o.Name, err)
	}
	if err := o.Window.Validate(); err != nil {
		return fmt.Errorf("slo: objective %q: %w", o.Name, err)
	}
	switch o.Method {
	case Occurrences:
		if o.SliceTarget != 0 {
			return fmt.Errorf("slo: objective %q: SliceTarget %v is set, but Method is occurrences; slice targets belong to timeslices", o.Name, o.SliceTarget)
		}
		if o.Slice != 0 {
			return fmt.Errorf("slo: objective %q: Slice %v is set, but Method is occurrences; slices belong to timeslices", o.Name, o.Slice)
		}
	case Timeslices:
		if o.SliceTarget != 0 {
			if err := validTarget("SliceTarget", o.SliceTarget, true); err != nil {
				return fmt.Errorf("slo: objective %q: %w", o.Name, err)
			}
		}
		if o.Slice < 0 {
			return fmt.Errorf("slo: objective %q: Slice %v is negative", o.Name, o.Slice)
		}
		if s := o.slice(); o.Window.Rolling > 0 && o.Window.Rolling%s != 0 {
			if o.Slice == 0 {
				return fmt.Errorf("slo: objective %q: Window %v is not a whole number of the default Slice %v; set Slice to one that divides it", o.Name, o.Window, s)
			}
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

// validName checks an objective's name: it labels metrics and alerts, so
// it must be present and printable, as package promrules requires.
func validName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("slo: objective: Name is empty; it names the objective in reports, alerts and metrics")
	case !utf8.ValidString(name):
		return fmt.Errorf("slo: objective: Name %q is not valid UTF-8", name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("slo: objective: Name %q has a control character", name)
	}
	return nil
}

// validTarget checks a target, a fraction in (0, 1). The error says what a
// bad value looks like; percentage adds the hint that a number from 50 to
// 100 was probably written as a percentage, which ParseTarget reads. A
// number from 1 to 50 is not read as one: as a percentage it would
// promise almost nothing (1.5 would be 0.015), so no guess is offered.
func validTarget(field string, v float64, percentage bool) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%s %v is not a number", field, v)
	case v == 1:
		return fmt.Errorf("%s 1 out of range (0, 1): a target of 1 leaves no error budget", field)
	case v == 0:
		return fmt.Errorf("%s 0 out of range (0, 1): a target of 0 promises nothing", field)
	case v < 0:
		return fmt.Errorf("%s %v out of range (0, 1): a target is never negative", field, v)
	case percentage && v >= 50 && v < 100:
		frac, _ := strconv.ParseFloat(shiftPoint(strconv.FormatFloat(v, 'f', -1, 64), 2), 64)
		return fmt.Errorf("%s %v out of range (0, 1): it looks like a percentage; write %v, or read %q with ParseTarget", field, v, frac, strconv.FormatFloat(v, 'f', -1, 64))
	case v >= 1:
		return fmt.Errorf("%s %v out of range (0, 1): a target is a fraction, such as 0.999 for 99.9%%", field, v)
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
//
// Budget, Nines, AllowedBad and AllowedDowntime describe a valid objective.
// For a Target outside (0, 1) (NaN, 0, 1, 99.9), which Validate refuses,
// each returns 0: no budget, never a negative, infinite or NaN amount.
// AllowedDowntime also returns 0 for a window Validate refuses.
func (o Objective) Budget() float64 {
	if t := o.Target; math.IsNaN(t) || t <= 0 || t >= 1 {
		return 0
	}
	return budget(o.Target)
}

func budget(target float64) float64 {
	b, _ := strconv.ParseFloat(strconv.FormatFloat(1-target, 'f', 15, 64), 64)
	return b
}

// Nines returns how many nines the target has: 3 for 0.999, 3.3 for 0.9995.
// A target of 1 has no finite number of nines; like any target outside
// (0, 1), it gives 0.
func (o Objective) Nines() float64 {
	b := o.Budget()
	if b == 0 {
		return 0
	}
	return -math.Log10(b)
}

// AllowedBad returns how many of total events may be bad within the budget.
func (o Objective) AllowedBad(total int64) float64 { return o.Budget() * float64(total) }

// AllowedDowntime returns how long the service may be fully down within the
// window that holds t (for a rolling window, any t).
func (o Objective) AllowedDowntime(t time.Time) time.Duration {
	if o.Window.Validate() != nil {
		return 0
	}
	return downtime(o.Budget(), o.Window.Length(t))
}

// AllowedDowntime returns how long a service may be fully down over window
// at target: 43m12s for 0.999 over 30 days. A target outside (0, 1) or a
// window that is not positive is an error naming it, and gives 0.
func AllowedDowntime(target float64, window time.Duration) (time.Duration, error) {
	if err := validTarget("target", target, true); err != nil {
		return 0, fmt.Errorf("slo: AllowedDowntime: %w", err)
	}
	if window <= 0 {
		return 0, fmt.Errorf("slo: AllowedDowntime: window %v is not positive", window)
	}
	return downtime(budget(target), window), nil
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
