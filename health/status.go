package health

import (
	"fmt"
	"time"
)

// Status is the state of a check or of a probe.
type Status uint8

const (
	// StatusUnknown is the state of a check before its first result. It fails
	// readiness and startup: nothing is reported up before it is proven.
	StatusUnknown Status = iota
	// StatusPass means healthy.
	StatusPass
	// StatusWarn means a non-critical check is failing; the probe still
	// answers HTTP 200.
	StatusWarn
	// StatusFail means a critical check is failing, or the checker drains.
	StatusFail
)

// String returns the status as health+json spells it, or "unknown".
func (s Status) String() string {
	switch s {
	case StatusUnknown:
		return "unknown"
	case StatusPass:
		return "pass"
	case StatusWarn:
		return "warn"
	case StatusFail:
		return "fail"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Change reports that a check's status changed, or that the checker started
// to drain.
type Change struct {
	// Name is the check's name; it is empty for the drain event.
	Name string
	// From and To are the check's status before and after the change. The
	// drain event goes from StatusPass to StatusFail.
	From, To Status
	// Err is the error of the run that caused the change, if any.
	Err error
	// Time is when the run finished, or when draining began.
	Time time.Time
}

// Result is what a check last reported.
type Result struct {
	// Name is the check's name.
	Name string
	// Status is the check's status after its thresholds are applied:
	// StatusPass, StatusFail or StatusUnknown.
	Status Status
	// Severity is the check's severity.
	Severity Severity
	// Err is the error of the last run, nil when it succeeded. It can be set
	// while Status is still StatusPass, when the check has failed fewer
	// times in a row than its FailureThreshold.
	Err error
	// Time is when the last run finished; zero before the first result.
	Time time.Time
	// Duration is how long the last run took.
	Duration time.Duration
}

// Report is the outcome of evaluating a probe.
type Report struct {
	// Status is the probe's status: StatusPass, StatusWarn or StatusFail.
	Status Status
	// Draining is true when the checker drains; Status is then StatusFail
	// for readiness.
	Draining bool
	// Checks holds the result of every check that took part, by name.
	Checks []Result
}
