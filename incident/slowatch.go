package incident

import (
	"context"
	"fmt"
	"time"

	"github.com/ybiyri/runkit/slo"
)

// The bands of budget remaining that slo.budget events move between.
const (
	bandAbove50 = "over 50%"
	band50      = "50% or less"
	band25      = "25% or less"
	bandSpent   = "spent"
)

func band(remaining float64) string {
	switch {
	case remaining <= 0:
		return bandSpent
	case remaining <= 0.25:
		return band25
	case remaining <= 0.5:
		return band50
	}
	return bandAbove50
}

// watchedTracker is a tracker and what the journal last saw of it.
type watchedTracker struct {
	t      *slo.Tracker
	firing map[string]bool
	band   string
	noData bool
	future int64
}

// WatchTracker makes the journal read t's status every EvaluateEvery, on
// its own goroutine and its own clock (so give the tracker the same
// clock), and record what changed since the last reading: a tier that
// starts or stops firing (with its severity and reason), the budget
// remaining crossing 50%, 25% or 0% either way, no data beginning or
// ending, and more events refused for being in the future. The first
// reading is compared with a fresh tracker's state (no tier firing, the
// whole budget, no data, nothing refused), so a tracker watched at start
// reports only departures from that. It returns ErrClosed after Close.
func (j *Journal) WatchTracker(t *slo.Tracker) error {
	if t == nil {
		return fmt.Errorf("incident: WatchTracker of a nil tracker")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	j.trackers = append(j.trackers, &watchedTracker{t: t, firing: map[string]bool{}, band: bandAbove50, noData: true})
	return nil
}

// EvaluateAt reads every watched tracker's status at now and records what
// changed, and summarises flapping subjects whose window has ended. The
// journal's goroutine calls it every EvaluateEvery; a test calls it to
// step a simulated clock.
func (j *Journal) EvaluateAt(now time.Time) {
	j.mu.Lock()
	ts := append([]*watchedTracker(nil), j.trackers...)
	j.closeFlapsLocked(now, false)
	j.mu.Unlock()
	j.signal()
	// One evaluation at a time: the goroutine's and a test's.
	j.evalMu.Lock()
	defer j.evalMu.Unlock()
	for _, w := range ts {
		j.evaluate(w, now)
	}
}

func (j *Journal) evaluate(w *watchedTracker, now time.Time) {
	s := w.t.StatusAt(now)
	name := s.Objective
	if s.Route != "" {
		name += " " + s.Route // one of slo.Routes's objectives
	}
	ctx := context.Background()
	rec := func(e Event) {
		e.Time = now
		j.Record(ctx, e)
	}
	if s.NoData != w.noData {
		from, to := "data", "no data"
		cause := "no events in the window"
		if !s.NoData {
			from, to, cause = to, from, "events recorded"
		}
		rec(Event{Name: SLONoData, Subject: name, From: from, To: to, Cause: cause})
		w.noData = s.NoData
	}
	for _, tr := range s.Tiers {
		key := fmt.Sprintf("%s %s %s/%s", name, tr.Tier.Severity, slo.FormatDuration(tr.Tier.Long), slo.FormatDuration(tr.Tier.ShortWindow()))
		if tr.Firing == w.firing[key] {
			continue
		}
		e := Event{Name: SLOTier, Subject: key, From: "ok", To: "firing", Severity: string(tr.Tier.Severity), Cause: tr.Reason}
		if !tr.Firing {
			e.From, e.To = e.To, e.From
		}
		rec(e)
		w.firing[key] = tr.Firing
	}
	if b := band(s.Remaining); !s.NoData && b != w.band {
		rec(Event{Name: SLOBudget, Subject: name, From: w.band, To: b, Cause: fmt.Sprintf("%.2f%% of the budget remains", s.Remaining*100)})
		w.band = b
	}
	if s.Future > w.future {
		rec(Event{Name: SLOFuture, Subject: name, From: fmt.Sprint(w.future), To: fmt.Sprint(s.Future),
			Cause: fmt.Sprintf("%d events refused for being more than %s past the clock", s.Future-w.future, slo.MaxSkew)})
		w.future = s.Future
	}
}
