package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/health"
	"github.com/ybiyri/runkit/slo"
)

// WatchHealth records c's changes until the returned cancel is called:
// every check's change of status (with its error as the cause), every
// change of readiness as a probe (see health.Checker.Status), and the
// start of draining. Readiness is read from the checks' last results
// when a change arrives, so recording it runs no check. While a check has
// no result yet readiness is not known and no move is recorded; the first
// known readiness is recorded only when it is not pass, so that a service
// starting up healthy records no readiness event.
func (j *Journal) WatchHealth(c *health.Checker) (cancel func()) {
	last := c.Status(health.Readiness)
	var mu chanMutex = make(chan struct{}, 1)
	return c.Subscribe(func(ch health.Change) {
		ctx := context.Background()
		switch ch.Kind {
		case health.StatusChanged:
			e := Event{Name: HealthCheck, Subject: ch.Name, From: ch.From.String(), To: ch.To.String(), Time: ch.Time}
			if ch.Err != nil {
				e.Cause = ch.Err.Error()
			}
			j.Record(ctx, e)
		case health.DrainStarted:
			j.Record(ctx, Event{Name: HealthDrain, Subject: "readiness", From: ch.From.String(), To: ch.To.String(), Time: ch.Time, Cause: "draining"})
		}
		// Listeners run on the goroutine of each change: one at a time
		// compares and swaps the last readiness, so that no move is
		// recorded twice.
		mu.lock()
		defer mu.unlock()
		now := c.Status(health.Readiness)
		if now == last || now == health.StatusUnknown {
			return
		}
		from := last
		last = now
		if from == health.StatusUnknown && now == health.StatusPass {
			return
		}
		e := Event{Name: HealthProbe, Subject: "readiness", From: from.String(), To: now.String(), Time: ch.Time}
		switch {
		case ch.Kind == health.DrainStarted, now == health.StatusFail && c.Draining():
			// A check's change can be delivered after Drain began: the
			// readiness it sees failing fails because of the drain.
			e.Cause = causeDraining
		case ch.Kind == health.CheckRemoved:
			e.Cause = "check " + ch.Name + " removed"
		case ch.Name != "":
			e.Cause = "check " + ch.Name + " " + ch.To.String()
		}
		j.Record(ctx, e)
	})
}

// chanMutex is a mutex made of a channel, small enough to sit in a
// closure.
type chanMutex chan struct{}

func (m chanMutex) lock()   { m <- struct{}{} }
func (m chanMutex) unlock() { <-m }

// BreakerChange records a breaker's change of state with its cause. Set
// it as breaker.Config.OnChange, of a Breaker or of a Transport's
// template (whose breakers are named by host):
//
//	breaker.Config{OnChange: journal.BreakerChange}
func (j *Journal) BreakerChange(c breaker.Change) {
	e := Event{Name: BreakerState, Subject: c.Name, From: c.From.String(), To: c.To.String(), Cause: c.Cause.String()}
	if c.Cause == breaker.CauseForced && c.To == breaker.Open {
		e.Cause = "opened by the fleet"
	}
	if c.Cause == breaker.CauseForced && c.To == breaker.Closed {
		e.Cause = "closed by the fleet"
	}
	j.Record(context.Background(), e)
}

// Started records this process's start as the deployment m (as
// deploy.FromBuild makes it): its ID, or the one deploy.ID makes when
// empty, its version and revision.
func (j *Journal) Started(m deploy.Marker) {
	j.Record(context.Background(), Event{Name: DeployStart, Subject: deploymentID(m), To: m.Version, Cause: revision(m)})
}

// Stopping records that the process shuts down, and why.
func (j *Journal) Stopping(m deploy.Marker, reason string) {
	j.Record(context.Background(), Event{Name: DeployShutdown, Subject: deploymentID(m), From: m.Version, Cause: reason})
}

func deploymentID(m deploy.Marker) string {
	if m.ID != "" {
		return m.ID
	}
	return deploy.ID(m.Service, m.Environment, m.Version, m.Revision)
}

func revision(m deploy.Marker) string {
	var parts []string
	if m.Revision != "" {
		parts = append(parts, "revision "+m.Revision)
	}
	if m.Environment != "" {
		parts = append(parts, "environment "+m.Environment)
	}
	return strings.Join(parts, ", ")
}

// Sink returns a deploy.Sink that records every marker announced through
// it: add it to a deploy.Announcer's Sinks. It never fails.
func (j *Journal) Sink() deploy.Sink { return journalSink{j} }

type journalSink struct{ j *Journal }

func (journalSink) Name() string { return "incident journal" }

func (s journalSink) Send(ctx context.Context, m deploy.Marker) error {
	e := MarkerEvent(m)
	e.Time = time.Time{} // the journal's clock: when it was announced
	s.j.Record(ctx, e)
	return nil
}

// MarkerEvent returns the event of a deployment marker, as a journal's
// Sink records it, at the marker's Start and with its Service.
func MarkerEvent(m deploy.Marker) Event {
	cause := revision(m)
	if m.Failed {
		cause = strings.TrimPrefix(cause+", failed", ", ")
	}
	return Event{Time: m.Start, Service: m.Service, Kind: Deploy, Name: DeployMarker, Subject: deploymentID(m), To: m.Version, Cause: cause}
}

// Sources are what Watch wires in one call; a nil or empty field is left
// out. Breakers are wired where they are made, with
// breaker.Config{OnChange: journal.BreakerChange}: a breaker's callback is
// part of its Config.
type Sources struct {
	// Health is watched as WatchHealth does.
	Health *health.Checker
	// Trackers are each watched as WatchTracker does.
	Trackers []*slo.Tracker
	// Announcer gets the journal's Sink among its Sinks, before its first
	// Announce.
	Announcer *deploy.Announcer
	// Start, when set, is recorded as this process's deployment, as
	// Started does.
	Start *deploy.Marker
}

// Watch wires every source of s: one call instead of one per source. The
// returned cancel stops watching the health checker; trackers are read
// until Close. It returns an error, having wired nothing, when a tracker
// is nil or the journal is closed.
func (j *Journal) Watch(s Sources) (cancel func(), err error) {
	for i, t := range s.Trackers {
		if t == nil {
			return nil, fmt.Errorf("incident: Sources.Trackers[%d] is nil", i)
		}
	}
	j.mu.Lock()
	closed := j.closed
	j.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	for _, t := range s.Trackers {
		if err := j.WatchTracker(t); err != nil {
			return nil, err
		}
	}
	if s.Announcer != nil {
		s.Announcer.Sinks = append(s.Announcer.Sinks, j.Sink())
	}
	if s.Start != nil {
		j.Started(*s.Start)
	}
	cancel = func() {}
	if s.Health != nil {
		cancel = j.WatchHealth(s.Health)
	}
	return cancel, nil
}

// causeDraining is the cause of readiness failing because the service
// drains: deliberate, so it fires no snapshot.
const causeDraining = "draining"
