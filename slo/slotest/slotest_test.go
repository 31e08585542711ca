package slotest_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/slotest"
)

var checkout = slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}

// With 0.3% upstream failures and two retries, checkout stays within
// 99.9% over 30 days; without retries it does not.
func TestRetriesKeepCheckoutWithinBudget(t *testing.T) {
	run := func(retries int) slo.TrackerStatus {
		rng := rand.New(rand.NewPCG(1, 2))
		return slotest.Simulate(t, checkout, 30*24*time.Hour, time.Minute, func(time.Time) (good, bad int64) {
			for range 200 {
				ok := false
				for range 1 + retries {
					if rng.Float64() >= 0.003 {
						ok = true
						break
					}
				}
				if ok {
					good++
				} else {
					bad++
				}
			}
			return good, bad
		})
	}
	slotest.RequireRemaining(t, run(2), 0.99)
	slotest.RequireQuiet(t, run(2))

	without := run(0)
	if without.Remaining >= 0 {
		t.Errorf("without retries remaining = %v, want the objective missed", without.Remaining)
	}
}

func TestOutageFiresPage(t *testing.T) {
	s := slotest.Simulate(t, checkout, 2*24*time.Hour, time.Minute, func(at time.Time) (good, bad int64) {
		if at.After(slotest.Epoch.Add(47 * time.Hour)) {
			return 500, 500
		}
		return 1000, 0
	})
	slotest.RequireFiring(t, s, slo.Page)
}

func TestReplay(t *testing.T) {
	o := slo.Objective{Name: "login", Target: 0.9, Window: slo.Rolling(time.Hour)}
	ev := []slotest.Event{
		{Time: slotest.Epoch.Add(2 * time.Minute), Good: true},
		{Time: slotest.Epoch, Good: false},
		{Time: slotest.Epoch.Add(time.Minute), Good: true},
	}
	s := slotest.Replay(t, o, ev)
	if s.Good != 2 || s.Total != 3 {
		t.Errorf("Replay counted %d/%d, want 2/3", s.Good, s.Total)
	}
}

// recorder captures failures so that the messages can be checked.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.msgs = append(r.msgs, fmt.Sprintf(f, a...)) }

func TestFailureMessagesShowNumbers(t *testing.T) {
	s := slotest.Simulate(t, checkout, 24*time.Hour, time.Minute, func(time.Time) (int64, int64) { return 990, 10 })
	r := &recorder{TB: t}
	slotest.RequireWithinObjective(r, s)
	slotest.RequireQuiet(r, s)
	slotest.RequireFiring(&recorder{TB: t}, s, slo.Ticket)
	if len(r.msgs) != 2 {
		t.Fatalf("got %d failures, want 2: %q", len(r.msgs), r.msgs)
	}
	for _, want := range []string{"budget remaining -9", "good 1425600 of 1440000", "burn rate 10", "tier page: burn rate 10 over 1h"} {
		if !strings.Contains(r.msgs[0]+r.msgs[1], want) {
			t.Errorf("messages lack %q:\n%s", want, strings.Join(r.msgs, "\n"))
		}
	}
}

// Simulated time runs on the simulation's own clock: a year from Epoch
// reaches past the real clock, and no event is refused as too far ahead.
func TestSimulateRunsOnSimulatedClock(t *testing.T) {
	o := slo.Objective{Name: "year", Target: 0.99, Window: slo.Rolling(30 * 24 * time.Hour)}
	far := slotest.Epoch.AddDate(2, 0, 0).Sub(slotest.Epoch)
	s := slotest.Simulate(t, o, far, time.Hour, func(time.Time) (good, bad int64) { return 99, 1 })
	if s.Total != 30*24*100 || s.Future != 0 {
		t.Errorf("two years of hourly traffic: %d events in the last 30 days, %d refused; want %d and 0", s.Total, s.Future, 30*24*100)
	}
	events := []slotest.Event{{Time: slotest.Epoch.AddDate(3, 0, 0), Good: false}, {Time: slotest.Epoch.AddDate(3, 0, -1), Good: true}}
	if r := slotest.Replay(t, o, events); r.Total != 2 || r.Future != 0 {
		t.Errorf("Replay three years on: total %d, refused %d; want 2 and 0", r.Total, r.Future)
	}
}

// Failure messages write windows as everything else does: "28d" and
// "calendar month in UTC", not "672h0m0s".
func TestFailureMessagesWriteWindows(t *testing.T) {
	for _, c := range []struct {
		w    slo.Window
		want string
	}{
		{slo.Rolling(28 * 24 * time.Hour), "target 0.999 over 28d, method occurrences"},
		{slo.CalendarWindow(slo.Month, nil), "target 0.999 over calendar month in UTC, method occurrences"},
	} {
		o := slo.Objective{Name: "checkout", Target: 0.999, Window: c.w}
		s := slotest.Simulate(t, o, 24*time.Hour, time.Minute, func(time.Time) (int64, int64) { return 900, 100 })
		r := &recorder{TB: t}
		slotest.RequireWithinObjective(r, s)
		if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], c.want) || strings.Contains(r.msgs[0], "h0m0s") {
			t.Errorf("%v: messages %q, want %q", c.w, r.msgs, c.want)
		}
	}
}

// Simulate and Replay judge their events as all the window holds: the
// tracker observed the whole window, however short the traffic.
func TestSimulateAndReplayObserveTheWindow(t *testing.T) {
	s := slotest.Simulate(t, checkout, time.Hour, time.Minute, func(time.Time) (int64, int64) { return 99, 1 })
	r := slotest.Replay(t, checkout, []slotest.Event{{Time: slotest.Epoch, Good: false}, {Time: slotest.Epoch.Add(time.Minute), Good: true}})
	for name, st := range map[string]slo.TrackerStatus{"Simulate": s, "Replay": r} {
		if st.ObservedShare != 1 || st.Observed != 30*24*time.Hour {
			t.Errorf("%s: observed %v (%v), want the whole 30d window", name, st.Observed, st.ObservedShare)
		}
	}
	if s.Remaining != 1-0.01/0.001 {
		t.Errorf("Simulate: remaining %v, want %v: an hour at 1%% errors is all the window holds", s.Remaining, 1-0.01/0.001)
	}
}
