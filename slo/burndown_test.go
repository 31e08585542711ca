package slo_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
)

func TestBurnDownHandComputed(t *testing.T) {
	// One hour at 99%: 100 events a minute, bad ones at minutes 5 (10 of
	// them), 20 (20) and 50 (10). 6,000 events allow 60 bad.
	o := slo.Objective{Name: "api", Target: 0.99, Window: slo.Rolling(time.Hour)}
	tr := newTracker(t, o, slo.TrackerConfig{Policy: &slo.Policy{Tiers: []slo.Tier{{Severity: slo.Page, Long: 30 * time.Minute, BudgetShare: 0.5}}}})
	bad := map[int]int64{5: 10, 20: 20, 50: 10}
	for m := range 60 {
		tr.RecordNAt(t0.Add(time.Duration(m)*time.Minute), 100-bad[m], bad[m])
	}
	at := t0.Add(time.Hour - time.Second)
	bd := tr.BurnDownAt(at, 5)
	if !bd.Start.Equal(t0) || !bd.At.Equal(at) || !bd.End.Equal(at) || bd.Window != time.Hour ||
		bd.Group != 15*time.Minute || bd.Events != 6000 || bd.AllowedBad != 60 {
		t.Fatalf("burn-down = start %v at %v end %v window %v group %v events %d allowed %v",
			bd.Start, bd.At, bd.End, bd.Window, bd.Group, bd.Events, bd.AllowedBad)
	}
	allowed := 60.0 // a variable, so that 1 - spent/allowed rounds as at run time
	want := []slo.BurnPoint{
		{At: t0.Add(15 * time.Minute), Good: 1490, Bad: 10, Spent: 10, Remaining: 1 - 10/allowed},
		{At: t0.Add(30 * time.Minute), Good: 1480, Bad: 20, Spent: 30, Remaining: 0.5},
		{At: t0.Add(45 * time.Minute), Good: 1500, Bad: 0, Spent: 30, Remaining: 0.5},
		{At: at, Good: 1490, Bad: 10, Spent: 40, Remaining: 1 - 40/allowed},
	}
	if len(bd.Points) != len(want) {
		t.Fatalf("%d points, want %d: %+v", len(bd.Points), len(want), bd.Points)
	}
	for i, p := range bd.Points {
		if !p.At.Equal(want[i].At) || p.Good != want[i].Good || p.Bad != want[i].Bad || p.Spent != want[i].Spent || p.Remaining != want[i].Remaining {
			t.Errorf("point %d = %+v, want %+v", i, p, want[i])
		}
	}
	if s := tr.StatusAt(at); s.Remaining != bd.Points[3].Remaining {
		t.Errorf("last point %v, Status %v", bd.Points[3].Remaining, s.Remaining)
	}

	// No limit: one point per bucket.
	if all := tr.BurnDownAt(at, 0); len(all.Points) != 60 || all.Group != time.Minute || all.Points[5].Spent != 10 {
		t.Errorf("unlimited burn-down: %d points of %v, point 5 spent %d", len(all.Points), all.Group, all.Points[5].Spent)
	}
	// Seven and a half minutes later the window starts at minute 8 and the
	// groups stay on the quarter hours: a partial group at each end.
	later := tr.BurnDownAt(t0.Add(67*time.Minute+30*time.Second), 5)
	if len(later.Points) != 5 || !later.Start.Equal(t0.Add(8*time.Minute)) ||
		!later.Points[0].At.Equal(t0.Add(15*time.Minute)) || later.Points[0].Good != 700 || later.Points[4].Good != 0 {
		t.Errorf("later burn-down: start %v, %+v", later.Start, later.Points)
	}
}

func TestBurnDownGroupSizes(t *testing.T) {
	o := slo.Objective{Name: "api", Target: 0.999, Window: slo.Rolling(30 * day)}
	tr := newTracker(t, o, slo.TrackerConfig{})
	at := t0.Add(30*day - time.Second)
	for _, c := range []struct {
		max   int
		group time.Duration
	}{
		{250, 3 * time.Hour},     // 240 groups, and one more when the window is not aligned
		{240, 4 * time.Hour},     // 3h could make 241
		{400, 2 * time.Hour},     // 108 minutes rounds up to 2h
		{721, time.Hour},         // 720 groups, or 721
		{31, 24 * time.Hour},     // 30 or 31
		{30, 48 * time.Hour},     // 15 or 16
		{3, 10 * 24 * time.Hour}, // no round length fits: three equal groups from the start
		{1, 30 * 24 * time.Hour}, // one group, the whole window
	} {
		bd := tr.BurnDownAt(at, c.max)
		if bd.Group != c.group || len(bd.Points) > c.max {
			t.Errorf("BurnDownAt(%d): %d points of %v, want groups of %v", c.max, len(bd.Points), bd.Group, c.group)
		}
		if bd.Events != 0 || bd.Points[len(bd.Points)-1].Remaining != 1 {
			t.Errorf("BurnDownAt(%d) of no data: events %d, remaining %v", c.max, bd.Events, bd.Points[len(bd.Points)-1].Remaining)
		}
	}
}

// TestBurnDownEndsAtStatus: whatever the traffic, method and window, the
// last point is the Status's Remaining, to the bit.
func TestBurnDownEndsAtStatus(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		o   slo.Objective
		res time.Duration
	}{
		{slo.Objective{Name: "rolling", Target: 0.999, Window: slo.Rolling(7 * day)}, 0},
		{slo.Objective{Name: "slices", Target: 0.99, Window: slo.Rolling(day), Method: slo.Timeslices, SliceTarget: 0.95}, 0},
		{slo.Objective{Name: "month", Target: 0.995, Window: slo.CalendarWindow(slo.Month, nil)}, 0},
		// Hour buckets that start at half past, at midnight in +05:30.
		{slo.Objective{Name: "month+0530", Target: 0.995, Window: slo.CalendarWindow(slo.Month, time.FixedZone("IST", 5*3600+1800))}, time.Hour},
		{slo.Objective{Name: "quarter", Target: 0.99, Window: slo.CalendarWindow(slo.Quarter, time.FixedZone("X", 5*3600)), Method: slo.Timeslices, Slice: 5 * time.Minute}, 0},
	}
	for _, c := range cases {
		o := c.o
		tr := newTracker(t, o, slo.TrackerConfig{Resolution: c.res})
		for range 5000 {
			at := t0.Add(time.Duration(rng.Int64N(int64(20 * day))))
			tr.RecordNAt(at, rng.Int64N(100), rng.Int64N(3))
		}
		for range 20 {
			at := t0.Add(time.Duration(rng.Int64N(int64(25 * day))))
			bd := tr.BurnDownAt(at, 1+rng.IntN(300))
			s := tr.StatusAt(at)
			last := bd.Points[len(bd.Points)-1]
			if last.Remaining != s.Remaining || !last.At.Equal(at) {
				t.Errorf("%s at %v: last point %v at %v, Status %v", o.Name, at, last.Remaining, last.At, s.Remaining)
			}
			if o.Window.Calendar != slo.NotCalendar && (!bd.Start.Equal(s.Start) || !bd.End.Equal(s.End)) {
				t.Errorf("%s at %v: burn-down from %v to %v, Status's window %v to %v", o.Name, at, bd.Start, bd.End, s.Start, s.End)
			}
			if o.Method == slo.Occurrences && bd.Events != s.Total {
				t.Errorf("%s at %v: %d events, Status %d", o.Name, at, bd.Events, s.Total)
			}
			for i := 1; i < len(bd.Points); i++ {
				if bd.Points[i].Spent < bd.Points[i-1].Spent || !bd.Points[i].At.After(bd.Points[i-1].At) {
					t.Fatalf("%s: points %d and %d out of order: %+v %+v", o.Name, i-1, i, bd.Points[i-1], bd.Points[i])
				}
			}
		}
	}
}
