package incident

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

// Defaults of the zero fields of RecorderConfig.
const (
	DefaultMinAge       = 10 * time.Second
	DefaultMaxBytes     = 16 << 20
	DefaultMaxSnapshots = 10
	DefaultMaxDiskBytes = 512 << 20
	DefaultMinInterval  = 5 * time.Minute
	DefaultEventSpan    = 15 * time.Minute
)

// Trigger is what made the recorder write a snapshot. It names the
// snapshot's directory, so it is a plain name: 1 to 64 ASCII letters,
// digits, '-' and '_'.
type Trigger string

// queueLength is how many snapshots may wait for the recorder's
// goroutine: enough for every trigger kind firing at once, each limited
// to one per MinInterval.
const queueLength = 16

// validate returns an error naming t unless it is a plain name.
func (t Trigger) validate() error {
	if len(t) == 0 || len(t) > 64 {
		return fmt.Errorf("incident: Trigger %q: want 1 to 64 letters, digits, '-' or '_'", string(t))
	}
	for _, c := range []byte(t) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("incident: Trigger %q: %q is not a letter, digit, '-' or '_'", string(t), c)
		}
	}
	return nil
}

// The triggers of a snapshot.
const (
	// TriggerPage: a page-severity burn-rate tier started firing.
	TriggerPage Trigger = "slo-page"
	// TriggerBreakerOpen: a circuit breaker opened.
	TriggerBreakerOpen Trigger = "breaker-open"
	// TriggerReadinessFail: readiness went from pass to fail, other than by
	// draining.
	TriggerReadinessFail Trigger = "readiness-fail"
	// TriggerPanic: Recorder.Middleware recovered a panic.
	TriggerPanic Trigger = "panic"
	// TriggerManual: the service called Recorder.Snapshot.
	TriggerManual Trigger = "manual"
)

// RecorderConfig configures a Recorder. Every zero field but Dir has a
// documented default.
type RecorderConfig struct {
	// Dir is where snapshots are written, one directory each; it is made
	// if missing. Required. Snapshots an earlier process left there are
	// listed and count toward MaxSnapshots and MaxDiskBytes.
	Dir string
	// MinAge and MaxBytes size the window of execution trace the runtime
	// keeps (runtime/trace.FlightRecorderConfig): at least MinAge of the
	// latest trace, within MaxBytes, which wins. Zero means 10 seconds
	// and 16 MiB, enough for a busy service's last seconds.
	MinAge   time.Duration
	MaxBytes uint64
	// MaxSnapshots and MaxDiskBytes bound Dir: after each snapshot, the
	// oldest are removed until both hold, though never the snapshot just
	// written. Zero means 10 snapshots and 512 MiB.
	MaxSnapshots int
	MaxDiskBytes int64
	// MinInterval is the least time between two snapshots of one
	// trigger: a breaker flapping for an hour makes one snapshot per
	// MinInterval, not one per change. Triggers inside it are counted in
	// the next snapshot's manifest. Zero means 5 minutes. Snapshot, the
	// service's own request, is not limited.
	MinInterval time.Duration
	// Journal, when set, triggers snapshots with its events (a page
	// tier firing, a breaker opening, readiness failing, a panic), and
	// its events from EventSpan before a snapshot go into it.
	Journal *Journal
	// EventSpan is how far back a snapshot's events reach. Zero means 15
	// minutes.
	EventSpan time.Duration
	// Deployment names the build in every manifest: its ID (or the one
	// deploy.ID makes), Version and Revision.
	Deployment deploy.Marker
	// Authorize decides who may list and download snapshots over HTTP
	// (see Handler). Nil turns that off: traces and heap profiles can
	// hold user data.
	Authorize func(r *http.Request) bool
	// Now is the clock of rate limits and manifests. Nil means time.Now.
	Now func() time.Time
}

// ErrRecorderActive is matched by the error of NewRecorder while another
// Recorder of the process runs: the runtime has one flight recorder.
var ErrRecorderActive = errors.New("incident: a flight recorder is already running in this process")

// ErrRateLimited is matched by the error of a trigger inside its
// MinInterval.
var ErrRateLimited = errors.New("incident: snapshot rate-limited")

// ErrRecorderClosed is returned by Snapshot after Close.
var ErrRecorderClosed = errors.New("incident: recorder is closed")

// active is held by the process's running Recorder.
var active atomic.Bool

// Recorder keeps the runtime's flight recorder running and writes a
// snapshot when a trigger fires: the window of execution trace, a
// goroutine dump, a heap profile, the journal's events around it and a
// manifest. It writes on its own goroutine, one snapshot at a time, into
// a hidden directory that is renamed into place when complete, so that no
// half-written snapshot is ever listed. One Recorder runs per process.
type Recorder struct {
	cfg     RecorderConfig
	now     func() time.Time
	fr      *trace.FlightRecorder
	queue   chan request
	done    chan struct{}
	stopped chan struct{}
	unsub   func()
	closing sync.Once

	mu         sync.Mutex // guards the fields below
	last       map[Trigger]time.Time
	suppressed map[Trigger]int
	closed     bool

	busy atomic.Int64 // triggers dropped while a snapshot was queued
}

type request struct {
	trigger Trigger
	reason  string
	at      time.Time
	traceID string
	reply   chan result // nil for a trigger that waits for nothing
}

type result struct {
	s   Snapshot
	err error
}

// NewRecorder starts the flight recorder and the goroutine that writes
// snapshots; Close stops both. It removes hidden directories Dir holds
// from a snapshot a previous process did not finish. It returns an error
// naming a field of cfg that is not valid, wrapping ErrRecorderActive
// when another Recorder runs, or the runtime's when something else holds
// its flight recorder.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	switch {
	case cfg.Dir == "":
		return nil, errors.New("incident: RecorderConfig.Dir is empty")
	case cfg.MinAge < 0:
		return nil, fmt.Errorf("incident: RecorderConfig.MinAge %v is negative", cfg.MinAge)
	case cfg.MaxSnapshots < 0:
		return nil, fmt.Errorf("incident: RecorderConfig.MaxSnapshots %d is negative", cfg.MaxSnapshots)
	case cfg.MaxDiskBytes < 0:
		return nil, fmt.Errorf("incident: RecorderConfig.MaxDiskBytes %d is negative", cfg.MaxDiskBytes)
	case cfg.MinInterval < 0:
		return nil, fmt.Errorf("incident: RecorderConfig.MinInterval %v is negative", cfg.MinInterval)
	case cfg.EventSpan < 0:
		return nil, fmt.Errorf("incident: RecorderConfig.EventSpan %v is negative", cfg.EventSpan)
	}
	cfg.MinAge = cmpOr(cfg.MinAge, DefaultMinAge)
	cfg.MaxBytes = cmpOr(cfg.MaxBytes, DefaultMaxBytes)
	cfg.MaxSnapshots = cmpOr(cfg.MaxSnapshots, DefaultMaxSnapshots)
	cfg.MaxDiskBytes = cmpOr(cfg.MaxDiskBytes, DefaultMaxDiskBytes)
	cfg.MinInterval = cmpOr(cfg.MinInterval, DefaultMinInterval)
	cfg.EventSpan = cmpOr(cfg.EventSpan, DefaultEventSpan)
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("incident: RecorderConfig.Dir: %w", err)
	}
	if !active.CompareAndSwap(false, true) {
		return nil, ErrRecorderActive
	}
	// Only now: the hidden directories of a recorder running in this
	// process are its snapshots in progress.
	if err := removeUnfinished(cfg.Dir); err != nil {
		active.Store(false)
		return nil, err
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: cfg.MinAge, MaxBytes: cfg.MaxBytes})
	if err := fr.Start(); err != nil {
		active.Store(false)
		return nil, fmt.Errorf("incident: start the flight recorder: %w", err)
	}
	r := &Recorder{
		cfg:        cfg,
		now:        cfg.Now,
		fr:         fr,
		queue:      make(chan request, queueLength),
		done:       make(chan struct{}),
		stopped:    make(chan struct{}),
		last:       map[Trigger]time.Time{},
		suppressed: map[Trigger]int{},
	}
	if r.now == nil {
		r.now = time.Now
	}
	if cfg.Journal != nil {
		r.unsub = cfg.Journal.Subscribe(r.onEvent)
	}
	go r.loop()
	return r, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// removeUnfinished removes the hidden directories of snapshots a process
// did not finish.
func removeUnfinished(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("incident: RecorderConfig.Dir: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), ".tmp") {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	return nil
}

// onEvent fires the trigger an event of the journal stands for, if any.
func (r *Recorder) onEvent(e Event) {
	var t Trigger
	switch {
	case e.Name == BreakerState && e.To == "open":
		t = TriggerBreakerOpen
	case e.Name == HealthProbe && e.From == "pass" && e.To == "fail" && e.Cause != causeDraining:
		t = TriggerReadinessFail
	case e.Name == SLOTier && e.To == "firing" && e.Severity == "page":
		t = TriggerPage
	case e.Name == ProcessPanic:
		t = TriggerPanic
	default:
		return
	}
	r.fire(context.Background(), t, e.String(), e.TraceID, nil)
}

// Trigger asks for a snapshot of trigger t, for reason, without waiting
// for it: it marks the moment in the execution trace (a trace.Log of
// category "runkit.incident" whose message starts "trigger t: reason"),
// then queues the snapshot for the recorder's goroutine. It returns an
// error naming t when it is not a plain name (see Trigger), one matching
// ErrRateLimited inside t's MinInterval, one saying the recorder is busy
// when 16 snapshots are already queued, and ErrRecorderClosed after
// Close.
func (r *Recorder) Trigger(ctx context.Context, t Trigger, reason string) error {
	return r.fire(ctx, t, reason, "", nil)
}

// Snapshot writes a snapshot now, for reason, and returns it once it is
// in place, or ctx's error if ctx ends first (the snapshot is still
// written). It is not rate-limited, but waits for a snapshot in progress.
// It returns ErrRecorderClosed when Close comes first.
func (r *Recorder) Snapshot(ctx context.Context, reason string) (Snapshot, error) {
	reply := make(chan result, 1)
	if err := r.fire(ctx, TriggerManual, reason, "", reply); err != nil {
		return Snapshot{}, err
	}
	select {
	case res := <-reply:
		return res.s, res.err
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	case <-r.stopped:
		select {
		case res := <-reply: // written before the recorder stopped
			return res.s, res.err
		default:
			return Snapshot{}, ErrRecorderClosed
		}
	}
}

const traceCategory = "runkit.incident"

func (r *Recorder) fire(ctx context.Context, t Trigger, reason, traceID string, reply chan result) error {
	if err := t.validate(); err != nil {
		return err
	}
	now := r.now()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrRecorderClosed
	}
	prev, had := r.last[t]
	if reply == nil {
		if had && now.Sub(prev) < r.cfg.MinInterval && !now.Before(prev) {
			r.suppressed[t]++
			r.mu.Unlock()
			return fmt.Errorf("%w: %s fired %v ago, within %v", ErrRateLimited, t, now.Sub(prev), r.cfg.MinInterval)
		}
		r.last[t] = now // taken now, so that a concurrent trigger is limited
	}
	r.mu.Unlock()
	trace.Log(ctx, traceCategory, "trigger "+string(t)+": "+reason)
	req := request{trigger: t, reason: reason, at: now, traceID: traceID, reply: reply}
	if reply != nil {
		select {
		case r.queue <- req:
		case <-ctx.Done():
			return ctx.Err()
		case <-r.done:
			return ErrRecorderClosed
		}
	} else {
		select {
		case r.queue <- req:
		default:
			r.busy.Add(1)
			r.mu.Lock()
			if r.last[t].Equal(now) {
				if had {
					r.last[t] = prev
				} else {
					delete(r.last, t)
				}
			}
			r.mu.Unlock()
			return fmt.Errorf("incident: snapshot of %s not taken: %d others are queued", t, queueLength)
		}
	}
	return nil
}

// Close stops the flight recorder after the snapshot being written, if
// any, is in place, and lets another Recorder start. Snapshots queued but
// not begun are not written. It honours ctx while it waits; it is
// idempotent.
func (r *Recorder) Close(ctx context.Context) error {
	r.closing.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		if r.unsub != nil {
			r.unsub()
		}
		close(r.done)
	})
	select {
	case <-r.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Recorder) loop() {
	defer func() {
		r.fr.Stop()
		active.Store(false)
		close(r.stopped)
	}()
	for {
		select {
		case <-r.done:
			return
		case req := <-r.queue:
			s, err := r.write(req)
			if req.reply != nil {
				req.reply <- result{s, err}
			}
		}
	}
}
