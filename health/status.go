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

// ChangeKind says what a Change reports.
type ChangeKind uint8

const (
	// StatusChanged reports that the status of check Name went from From
	// to To; Err is the error of the run that caused it, if any.
	StatusChanged ChangeKind = iota + 1
	// CheckAdded reports that Register added check Name. From and To are
	// StatusUnknown: it has no result yet.
	CheckAdded
	// CheckRemoved reports that Unregister removed check Name. From is its
	// last status and To is StatusUnknown.
	CheckRemoved
	// DrainStarted reports that the checker began to drain. Name is empty;
	// From is StatusPass and To StatusFail, readiness' status from now on.
	DrainStarted
)

func (k ChangeKind) String() string {
	switch k {
	case StatusChanged:
		return "status changed"
	case CheckAdded:
		return "check added"
	case CheckRemoved:
		return "check removed"
	case DrainStarted:
		return "drain started"
	}
	return fmt.Sprintf("ChangeKind(%d)", uint8(k))
}

// Change reports an event of a Checker: a check added or removed, a check's
// status changed, or draining begun. Kind says which.
type Change struct {
	Kind ChangeKind
	// Name is the check's name; it is empty for DrainStarted.
	Name string
	// From and To are the status before and after the change.
	From, To Status
	// Err is the error of the run that caused a StatusChanged, if any.
	Err error
	// Time is when the run finished, the check was added or removed, or
	// draining began.
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
	// Err is set when the probe itself is not valid (see
	// Checker.Evaluate); Status is then StatusFail. Failing checks leave
	// it nil: their errors are in Checks.
	Err error
}
