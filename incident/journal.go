package incident

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"
)

// Defaults of the zero fields of Config.
const (
	DefaultCapacity      = 10_000
	DefaultFlapWindow    = time.Minute
	DefaultFlapLimit     = 10
	DefaultEvaluateEvery = 10 * time.Second
)

// EventSize is the size of an Event in the journal's ring, in bytes,
// beside the text of its strings.
const EventSize = 200

// Config configures a Journal. Every zero field has a documented default.
type Config struct {
	// Service and Instance name the process in every event. Empty
	// Instance means the host name.
	Service, Instance string
	// Capacity is how many events the journal keeps; the oldest is dropped
	// (and counted in Dropped) to make room. Zero means 10,000. Each event
	// takes EventSize bytes in the ring (2 MB for 10,000) plus its
	// strings. It cannot be off.
	Capacity int
	// FlapLimit and FlapWindow summarise a flapping subject: after
	// FlapLimit changes of one subject (a breaker, a check) within
	// FlapWindow of its first, further changes are counted, not kept, and
	// once the window has passed one event stands for them all, with its
	// Count, the From of the first and the To of the last. Zero means 10
	// changes a minute; a negative FlapLimit keeps every change.
	FlapLimit  int
	FlapWindow time.Duration
	// EvaluateEvery is how often the journal reads its trackers' status
	// (see WatchTracker) and closes the windows of flapping subjects.
	// Zero means 10 seconds. It cannot be off.
	EvaluateEvery time.Duration
	// Now is the journal's clock. Nil means time.Now.
	Now func() time.Time
	// LoggerProvider receives each event as an OpenTelemetry log record.
	// Nil means the global provider, a no-op until the application
	// installs an SDK (telemetry.Setup does).
	LoggerProvider log.LoggerProvider
}

// Journal keeps the service's operational events in order, bounded by
// its capacity: health changes, breaker transitions, SLO tiers and budget,
// deployments, and what the flight recorder did. Recording takes a lock
// for the length of a copy and never waits for anything else: the
// journal's own goroutine hands each event to subscribers and to
// OpenTelemetry, and evaluates trackers, until Close.
type Journal struct {
	cfg     Config
	now     func() time.Time
	logger  log.Logger
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
	closing sync.Once
	evalMu  sync.Mutex // serializes EvaluateAt

	mu        sync.Mutex // guards the fields below
	ring      []Event
	next      int    // index of the slot the next event takes
	seq       uint64 // of the last event recorded
	delivered uint64 // seq of the last event handed to subscribers
	flaps     map[flapKey]*flap
	trackers  []*watchedTracker
	subs      map[int]func(Event)
	nextSub   int
	closed    bool

	// batch is the loop goroutine's buffer of events to hand on.
	batch []Event

	dropped    atomic.Int64
	summarised atomic.Int64
	missed     atomic.Int64
}

type flapKey struct{ name, subject string }

// flap is the state of one subject's flap window.
type flap struct {
	start      time.Time
	n          int // changes in the window
	suppressed Event
}

// New returns a journal and starts its goroutine; Close stops it. It
// returns an error naming the field of cfg that is not valid.
func New(cfg Config) (*Journal, error) {
	switch {
	case cfg.Capacity < 0:
		return nil, fmt.Errorf("incident: Config.Capacity %d is negative; it cannot be off", cfg.Capacity)
	case cfg.FlapWindow < 0:
		return nil, fmt.Errorf("incident: Config.FlapWindow %v is negative; turn summarising off with a negative FlapLimit", cfg.FlapWindow)
	case cfg.EvaluateEvery < 0:
		return nil, fmt.Errorf("incident: Config.EvaluateEvery %v is negative; it cannot be off", cfg.EvaluateEvery)
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.FlapLimit == 0 {
		cfg.FlapLimit = DefaultFlapLimit
	}
	if cfg.FlapWindow == 0 {
		cfg.FlapWindow = DefaultFlapWindow
	}
	if cfg.EvaluateEvery == 0 {
		cfg.EvaluateEvery = DefaultEvaluateEvery
	}
	if cfg.Instance == "" {
		cfg.Instance, _ = os.Hostname()
	}
	lp := cfg.LoggerProvider
	if lp == nil {
		lp = otel.GetLoggerProvider()
	}
	j := &Journal{
		cfg:     cfg,
		now:     cfg.Now,
		logger:  lp.Logger("github.com/ybiyri/runkit/incident"),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		ring:    make([]Event, 0, min(cfg.Capacity, 1024)),
		flaps:   make(map[flapKey]*flap),
		subs:    make(map[int]func(Event)),
	}
	if j.now == nil {
		j.now = time.Now
	}
	go j.loop()
	return j, nil
}

// ErrClosed is returned by the methods that start watching after Close.
var ErrClosed = errors.New("incident: journal is closed")

// Record adds an event, stamping its Seq, its Service and Instance, its
// Kind from its Name when empty, its Time when zero, and its TraceID from
// ctx's span when empty. It never blocks on anything but the copy, and
// records nothing after Close. An event of a subject that flaps may be
// summarised (see Config.FlapLimit).
func (j *Journal) Record(ctx context.Context, e Event) {
	if e.Time.IsZero() {
		e.Time = j.now()
	}
	if e.Kind == "" {
		e.Kind = kindOf(e.Name)
	}
	if e.TraceID == "" {
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			e.TraceID = sc.TraceID().String()
		}
	}
	e.Service, e.Instance = j.cfg.Service, j.cfg.Instance
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return
	}
	if j.flapping(&e) {
		j.mu.Unlock()
		return
	}
	j.appendLocked(e)
	j.mu.Unlock()
	j.signal()
}

func (j *Journal) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// kindOf is the Kind of an event name: its first word.
func kindOf(name string) Kind {
	for i := range len(name) {
		if name[i] == '.' {
			return Kind(name[:i])
		}
	}
	return Kind(name)
}

// appendLocked stamps e's Seq and puts it in the ring; j.mu is held.
func (j *Journal) appendLocked(e Event) {
	j.seq++
	e.Seq = j.seq
	if len(j.ring) < j.cfg.Capacity {
		j.ring = append(j.ring, e)
		j.next = len(j.ring) % j.cfg.Capacity
		return
	}
	j.ring[j.next] = e
	j.next = (j.next + 1) % j.cfg.Capacity
	j.dropped.Add(1)
}

// maxFlaps bounds the subjects whose flap windows are kept; past it,
// windows that have ended are forgotten first.
const maxFlaps = 4096

// flapping reports whether e is summarised rather than recorded; j.mu is
// held. It records the summary of e's subject's last window when that
// window has ended.
func (j *Journal) flapping(e *Event) bool {
	if j.cfg.FlapLimit < 0 {
		return false
	}
	k := flapKey{e.Name, e.Subject}
	f := j.flaps[k]
	if f == nil || e.Time.Sub(f.start) >= j.cfg.FlapWindow || e.Time.Before(f.start) {
		if f != nil {
			j.summaryLocked(f)
		} else if len(j.flaps) >= maxFlaps {
			j.closeFlapsLocked(e.Time, true)
		}
		j.flaps[k] = &flap{start: e.Time, n: 1}
		return false
	}
	f.n++
	if f.n <= j.cfg.FlapLimit {
		return false
	}
	if f.suppressed.Count == 0 {
		f.suppressed = *e
		f.suppressed.Cause = ""
	}
	f.suppressed.Count++
	f.suppressed.To, f.suppressed.Time = e.To, e.Time
	j.summarised.Add(1)
	return true
}

// summaryLocked records the summary of f's window, if it has one.
func (j *Journal) summaryLocked(f *flap) {
	if f.suppressed.Count == 0 {
		return
	}
	s := f.suppressed
	s.Cause = fmt.Sprintf("flapping: %s changes after the first %d in %s summarised; the last took it to %s",
		strconv.Itoa(s.Count), j.cfg.FlapLimit, j.cfg.FlapWindow, s.To)
	j.appendLocked(s)
	f.suppressed = Event{}
}

// closeFlapsLocked summarises and forgets the windows that ended by now;
// all of them when every is set.
func (j *Journal) closeFlapsLocked(now time.Time, every bool) {
	for k, f := range j.flaps {
		if every || now.Sub(f.start) >= j.cfg.FlapWindow {
			j.summaryLocked(f)
			delete(j.flaps, k)
		}
	}
}

// Events returns the events f selects, oldest first.
func (j *Journal) Events(f Filter) []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []Event
	for i := range len(j.ring) {
		if e := j.atLocked(i); f.match(e) {
			out = append(out, *e)
		}
	}
	return out
}

// atLocked returns the i-th oldest event of the ring; j.mu is held.
func (j *Journal) atLocked(i int) *Event {
	if len(j.ring) < j.cfg.Capacity {
		return &j.ring[i]
	}
	return &j.ring[(j.next+i)%len(j.ring)]
}

// Dropped returns how many events were dropped, oldest first, to keep
// the journal within its capacity.
func (j *Journal) Dropped() int64 { return j.dropped.Load() }

// Summarised returns how many changes of flapping subjects were counted
// in a summary event instead of kept one by one.
func (j *Journal) Summarised() int64 { return j.summarised.Load() }

// Subscribe calls f with every event recorded from now on, in order, on
// the journal's goroutine, until the returned cancel is called: f must
// not block. Events that were dropped from the ring before the goroutine
// reached them are not delivered; Missed counts them.
func (j *Journal) Subscribe(f func(Event)) (cancel func()) {
	j.mu.Lock()
	id := j.nextSub
	j.nextSub++
	j.subs[id] = f
	j.mu.Unlock()
	return func() {
		j.mu.Lock()
		delete(j.subs, id)
		j.mu.Unlock()
	}
}

// Missed returns how many events subscribers and OpenTelemetry never saw,
// dropped from a full ring before the journal's goroutine handed them on.
func (j *Journal) Missed() int64 { return j.missed.Load() }

// Close stops the journal's goroutine after it has handed on every event
// recorded, and records nothing after. It is idempotent and returns nil.
func (j *Journal) Close() error {
	j.closing.Do(func() {
		j.mu.Lock()
		j.closed = true
		j.mu.Unlock()
		close(j.done)
	})
	<-j.stopped
	return nil
}

func (j *Journal) loop() {
	defer close(j.stopped)
	tick := time.NewTicker(j.cfg.EvaluateEvery)
	defer tick.Stop()
	for {
		select {
		case <-j.wake:
		case <-tick.C:
			j.EvaluateAt(j.now())
		case <-j.done:
			j.mu.Lock()
			j.closeFlapsLocked(time.Time{}, true)
			j.mu.Unlock()
			j.deliver()
			return
		}
		j.deliver()
	}
}

// deliver hands the events recorded since the last delivery to the
// subscribers and to OpenTelemetry.
func (j *Journal) deliver() {
	j.mu.Lock()
	var batch []Event
	if j.seq > j.delivered {
		first := j.atLocked(0).Seq
		from := j.delivered + 1
		if from < first {
			j.missed.Add(int64(first - from))
			from = first
		}
		batch = j.batch[:0]
		for i := int(from - first); i < len(j.ring); i++ {
			batch = append(batch, *j.atLocked(i))
		}
		j.delivered = j.seq
	}
	subs := make([]func(Event), 0, len(j.subs))
	for _, f := range j.subs {
		subs = append(subs, f)
	}
	j.mu.Unlock()
	for _, e := range batch {
		j.emit(e)
		for _, f := range subs {
			f(e)
		}
	}
	clear(batch) // let the strings go
	j.batch = batch[:0]
}

// contextWithTrace returns a context carrying the W3C trace ID id, for
// Record, or a background context when id is not one.
func contextWithTrace(id string) context.Context {
	tid, err := trace.TraceIDFromHex(id)
	if err != nil {
		return context.Background()
	}
	return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid}))
}
