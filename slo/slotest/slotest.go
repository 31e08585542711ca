package slotest

import (
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// Epoch is the simulated time at which Simulate starts.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Traffic returns how many good and bad events happen in the step that
// starts at t.
type Traffic func(t time.Time) (good, bad int64)

// Simulate runs traffic from Epoch for duration in steps of step through a
// fresh tracker of o at one-minute resolution (o's Slice for Timeslices)
// and returns the tracker's status at the end. The tracker's clock is the
// simulation's end, so simulated time may run past the real clock. It
// fails the test on a bad objective or step.
//
// The tracker started a window before Epoch: the simulated traffic is all
// the window holds, so a day of traffic in a 30-day window is judged as a
// service's first day, on its events alone, and not as a restart
// (slo.TrackerStatus.Observed).
func Simulate(t testing.TB, o slo.Objective, duration, step time.Duration, traffic Traffic) slo.TrackerStatus {
	t.Helper()
	if step <= 0 || duration <= 0 {
		t.Fatalf("slotest: duration %v and step %v must be positive", duration, step)
	}
	end := Epoch.Add(duration)
	tr := newTracker(t, o, Epoch, end)
	for at := Epoch; at.Before(end); at = at.Add(step) {
		good, bad := traffic(at)
		if err := tr.RecordNAt(at, good, bad); err != nil {
			t.Fatalf("slotest: traffic at %v: %v", at.Format(time.RFC3339), err)
		}
	}
	return tr.StatusAt(end.Add(-time.Nanosecond))
}

// Replay feeds recorded events, in any order, through a fresh tracker of o
// and returns its status at the time of the newest event, which is the
// tracker's clock. As in Simulate, the events are all the window holds:
// the tracker started a window before the oldest.
func Replay(t testing.TB, o slo.Objective, events []Event) slo.TrackerStatus {
	t.Helper()
	var first, last time.Time
	for i, e := range events {
		if e.Time.After(last) {
			last = e.Time
		}
		if i == 0 || e.Time.Before(first) {
			first = e.Time
		}
	}
	tr := newTracker(t, o, first, last)
	for _, e := range events {
		tr.RecordAt(e.Time, e.Good)
	}
	return tr.StatusAt(last)
}

// newTracker returns a tracker of o that started a window before from,
// whose clock then stands at now.
func newTracker(t testing.TB, o slo.Objective, from, now time.Time) *slo.Tracker {
	t.Helper()
	clock := from.Add(-o.Window.Length(from))
	tr, err := slo.NewTracker(o, slo.TrackerConfig{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatalf("slotest: %v", err)
	}
	clock = now
	return tr
}

// Event is one recorded request.
type Event struct {
	Time time.Time
	Good bool
}

// RequireRemaining fails the test unless at least min of the budget
// remains (0.25 for a quarter).
func RequireRemaining(t testing.TB, s slo.TrackerStatus, min float64) {
	t.Helper()
	if s.Remaining < min {
		t.Errorf("%s: budget remaining %.4g, want at least %.4g\n%s", s.Objective, s.Remaining, min, describe(s))
	}
}

// RequireWithinObjective fails the test when the objective is missed (the
// budget remaining is below zero).
func RequireWithinObjective(t testing.TB, s slo.TrackerStatus) {
	t.Helper()
	RequireRemaining(t, s, 0)
}

// RequireFiring fails the test unless a tier of each given severity fires.
func RequireFiring(t testing.TB, s slo.TrackerStatus, severities ...slo.Severity) {
	t.Helper()
	for _, sev := range severities {
		if !s.Firing(sev) {
			t.Errorf("%s: no %s tier fires\n%s", s.Objective, sev, describe(s))
		}
	}
}

// RequireQuiet fails the test when any tier fires.
func RequireQuiet(t testing.TB, s slo.TrackerStatus) {
	t.Helper()
	for _, r := range s.Tiers {
		if r.Firing {
			t.Errorf("%s: a %s tier fires\n%s", s.Objective, r.Tier.Severity, describe(s))
			return
		}
	}
}

func describe(s slo.TrackerStatus) string {
	out := ""
	// The window as everything else writes it: "28d", not "672h0m0s".
	window := s.Period.String()
	if s.Period == (slo.Window{}) {
		window = slo.FormatDuration(s.Window)
	}
	out += "  target " + ftoa(s.Target) + " over " + window + ", method " + s.Method.String() + "\n"
	out += "  good " + itoa(s.Good) + " of " + itoa(s.Total) + ", SLI " + ftoa(s.SLI) + ", error rate " + ftoa(s.ErrorRate) + "\n"
	out += "  budget " + ftoa(s.Budget) + ", consumed " + ftoa(s.Consumed) + ", remaining " + ftoa(s.Remaining) + ", burn rate " + ftoa(s.BurnRate) + "\n"
	for _, r := range s.Tiers {
		out += "  tier " + string(r.Tier.Severity) + ": " + r.Reason + "\n"
	}
	for _, r := range s.OmittedTiers {
		out += "  omitted " + string(r.Tier.Severity) + " tier: " + r.Reason + "\n"
	}
	return out
}
