package slo

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// DefaultResolution is the bucket length of a Tracker that sets none.
const DefaultResolution = time.Minute

// MaxSkew is how far past the tracker's clock the bucket of an event may
// start. An event further in the future (a caller whose clock runs ahead, a
// bad timestamp) is refused and counted in Future: recording it would move
// the ring forward and make every current event look a window old. The
// test is on the bucket, so an event up to MaxSkew plus one resolution
// ahead may be kept, in a bucket that moves the ring no further.
const MaxSkew = time.Minute

// TrackerConfig configures a Tracker. Every zero field has a default.
type TrackerConfig struct {
	// Resolution is the length of the finest buckets. Zero means one
	// minute, or the objective's Slice for Timeslices (whose buckets are
	// its slices).
	//
	// A tracker keeps buckets of Resolution only as far back as its
	// policy needs them exactly: its longest short window and its page
	// tiers' long windows (6 hours for the default policy). Beyond that it
	// keeps coarser buckets, of lengths that divide a day, up to 1,000 of
	// them: one level as far back as the longest long window (3 days in
	// 5-minute buckets for the default policy), and one for the rest of
	// the window (hourly for 30 days). A bucket is 24 bytes (32 in a
	// coarse level of Timeslices): a 30-day objective at one minute with
	// the default policy holds 1,946 buckets, 46,704 bytes, and takes
	// under 60,000 bytes in all, within 64 KiB, where one ring of 43,200
	// one-minute buckets took 1,045,136. When coarse levels would not
	// halve the buckets, as for a window of a day, the tracker keeps one
	// ring of buckets of Resolution.
	//
	// Sums over spans within the finest level are exact. A span whose
	// start falls inside a coarse bucket counts the share of that
	// bucket's events that the span covers, in proportion to time: exact
	// for steady traffic, and otherwise off by less than the events of
	// that one bucket (5 minutes of the 1-day and 3-day tiers' windows,
	// an hour of the 30-day window's). A late event for a Timeslices
	// bucket that has left the finest level is judged against its coarse
	// bucket's average slice.
	//
	// A rolling window must be a whole number of buckets. For a calendar
	// window, buckets start where the windows start, at midnight in the
	// window's zone, so that no bucket holds events of two windows: the
	// resolution must divide a day and the differences between the zone's
	// UTC offsets (one hour for most daylight-saving zones, 30 minutes for
	// Australia/Lord_Howe). NewTracker names the resolution that cannot.
	Resolution time.Duration
	// Policy judges burn rates. Nil means DefaultPolicy() less the tiers
	// that cannot serve the objective: those whose long window is longer
	// than the objective's window, and those whose threshold would need an
	// error rate of 100% or more (the 1h tier for a 30-day target of 93%
	// or less). TrackerStatus.OmittedTiers lists them with the reason. A
	// Policy that is set is validated strictly: NewTracker fails on a tier
	// that cannot fire.
	Policy *Policy
	// Latency, when positive, counts an event slower than it as bad, in
	// RecordLatency and in Middleware. Zero judges no latency.
	Latency time.Duration
	// Now is the clock of the methods without an explicit time, of
	// Middleware, and of the MaxSkew check on every recorded event. Nil
	// means time.Now. A test that records events at simulated times sets
	// it to the simulated clock.
	Now func() time.Time
	// MeterProvider receives EventsMetric, the count of every event the
	// tracker accepts (and of those it drops for being older than the
	// window), as an observable counter: the SDK reads the tracker's totals
	// when it collects, at a scrape or an export, so recording costs no
	// more with an SDK than without. Nil means the global provider, a no-op
	// until the application installs an SDK (telemetry.Setup does); a
	// tracker made before that reports every event since it was made.
	MeterProvider metric.MeterProvider
}

// Tracker counts good and bad events in a ring of time buckets covering an
// objective's window, and reports the objective's status and burn rates
// from bucket sums. Recording is O(1), allocation-free and safe for
// concurrent use. Every method that reads the clock has an At form that
// takes the time instead, as x/time/rate's AllowN does.
//
// Events may arrive out of order: one within the window lands in its
// bucket; one older than the window is dropped and counted in Dropped; one
// whose bucket starts more than MaxSkew past the clock is refused and
// counted in Future.
//
// The zero Tracker is not usable: make one with NewTracker, which checks
// the objective. Middleware and Handler panic on a zero or nil Tracker
// when they are wired, so that the mistake shows at start-up.
type Tracker struct {
	o       Objective
	route   string // the route of Routes it tracks, or ""
	policy  Policy
	omitted []OmittedTier
	events  *events
	latency time.Duration
	now     func() time.Time
	res     int64 // bucket length in nanoseconds
	phase   int64 // bucket i spans [phase + i×res, phase + (i+1)×res)
	n       int64 // buckets of the resolution in the longest window
	// maxCount is the most good, or bad, events one RecordN may put in
	// a bucket: MaxInt64 / 4 / n, so that no sum over the window can wrap.
	maxCount int64
	// levels holds the buckets, finest first (see planLevels), and ring
	// is the finest level's.
	levels  []level
	ring    []bucket
	latest  atomic.Int64 // newest bucket index recorded
	first   atomic.Int64 // oldest bucket index recorded, or none
	started int64        // bucket index of the clock at NewTracker
	// horizon is the latest time, in Unix nanoseconds, known to be within
	// MaxSkew of the clock: events up to it need no clock reading.
	horizon atomic.Int64

	// moves counts the moves between levels begun, and moved those
	// finished; see beginMove.
	moves, moved atomic.Int64
	readMu       sync.Mutex   // serializes readers, so that one move stalls one
	caches       []levelCache // per level; guarded by readMu
	// latestBucket is the bucket of latest, cached for the fast path.
	latestBucket atomic.Pointer[bucket]
	dropped      atomic.Int64
	future       atomic.Int64
}

// bucket holds the counts of one bucket index (time / resolution). epoch
// is that index, or resetting while a writer claims the bucket for a newer
// index.
type bucket struct {
	epoch     atomic.Int64
	good, bad atomic.Int64
}

// noBucket is the newest bucket of a tracker before its first event: its
// epoch, resetting, matches no index, so the fast path passes it by.
var noBucket = func() *bucket {
	b := new(bucket)
	b.epoch.Store(resetting)
	return b
}()

const (
	resetting = math.MinInt64
	empty     = math.MinInt64 + 1
	none      = math.MaxInt64 // first, before any event
)

// NewTracker returns a tracker for o. It returns an error naming the field
// when o, the policy or the resolution is not valid.
func NewTracker(o Objective, cfg TrackerConfig) (*Tracker, error) {
	return makeTracker(o, cfg, "", time.Time{})
}

// makeTracker makes a tracker of o, of one route of Routes when route is
// not empty, that has observed since since (zero: since its clock now).
func makeTracker(o Objective, cfg TrackerConfig, route string, since time.Time) (*Tracker, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	res, err := trackerResolution(o, cfg)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	policy, omitted, err := trackerPolicy(o, cfg.Policy)
	if err != nil {
		return nil, err
	}
	plan, phase, err := trackerLayout(o, policy, res, cfg, now())
	if err != nil {
		return nil, err
	}
	mp := cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	n := int64((o.Window.maxLength() + res - 1) / res)
	t := &Tracker{
		o: o, route: route, policy: policy, omitted: omitted, events: new(events), latency: cfg.Latency, now: now,
		res: int64(res), phase: phase, n: n, maxCount: math.MaxInt64 / 4 / n,
		levels: makeLevels(plan, o.Method == Timeslices),
	}
	t.ring = t.levels[0].ring
	t.caches = make([]levelCache, len(t.levels))
	t.latest.Store(empty)
	t.first.Store(none)
	if since.IsZero() {
		since = now()
	}
	t.started = t.index(since)
	t.horizon.Store(math.MinInt64)
	t.latestBucket.Store(noBucket)
	attrs := []attribute.KeyValue{attribute.String("slo", o.Name)}
	if route != "" {
		attrs = append(attrs, attribute.String("route", route))
	}
	observeEvents(mp, t, attrs...)
	return t, nil
}

// trackerResolution returns the length of the tracker's finest buckets.
func trackerResolution(o Objective, cfg TrackerConfig) (time.Duration, error) {
	res := cfg.Resolution
	switch {
	case res < 0:
		return 0, fmt.Errorf("slo: TrackerConfig.Resolution %v is negative", res)
	case cfg.Latency < 0:
		return 0, fmt.Errorf("slo: TrackerConfig.Latency %v is negative", cfg.Latency)
	case o.Method == Timeslices && res != 0 && res != o.slice():
		return 0, fmt.Errorf("slo: TrackerConfig.Resolution %v differs from the objective's Slice %v", res, o.slice())
	case res == 0 && o.Method == Timeslices:
		res = o.slice()
	case res == 0:
		res = DefaultResolution
	}
	return res, nil
}

// trackerPolicy returns the policy that set, validated, or the default
// tiers that can serve o and those left out.
func trackerPolicy(o Objective, set *Policy) (Policy, []OmittedTier, error) {
	if set != nil {
		if err := set.Validate(o); err != nil {
			return Policy{}, nil, err
		}
		return *set, nil, nil
	}
	// The default was not the user's choice: keep the workbook's tiers
	// that can fire for this objective and say which are left out.
	policy, omitted := DefaultPolicyFor(o)
	return policy, omitted, nil
}

// trackerLayout checks that buckets of res fit o's window and returns the
// levels of buckets (see planLevels) and the phase that starts every
// level's buckets where the windows start.
func trackerLayout(o Objective, policy Policy, res time.Duration, cfg TrackerConfig, now time.Time) ([]levelPlan, int64, error) {
	window := o.Window.maxLength()
	fits := func(time.Duration) bool { return true }
	if o.Window.Calendar == NotCalendar {
		switch {
		case window%res == 0:
		case cfg.Resolution == 0:
			// The user set the window, not the resolution.
			return nil, 0, fmt.Errorf("slo: objective %q: Window %v is not a whole number of the default Resolution %v; set TrackerConfig.Resolution to one that divides it", o.Name, o.Window, res)
		default:
			return nil, 0, fmt.Errorf("slo: TrackerConfig.Resolution %v does not divide the window %v", res, o.Window)
		}
	} else {
		field := "TrackerConfig.Resolution"
		if o.Method == Timeslices && cfg.Resolution == 0 {
			field = "Objective.Slice"
		}
		if _, err := calendarPhase(o.Window, res, now, field); err != nil {
			return nil, 0, err
		}
		fits = func(r time.Duration) bool {
			_, err := calendarPhase(o.Window, r, now, field)
			return err == nil
		}
	}
	n := int64((window + res - 1) / res)
	if n > 1<<24 {
		return nil, 0, fmt.Errorf("slo: TrackerConfig.Resolution %v makes %d buckets for the window %v; use a coarser one", res, n, o.Window)
	}
	plan := planLevels(policy, window, res, n, fits)
	if o.Window.Calendar == NotCalendar {
		return plan, 0, nil
	}
	// The coarsest level's phase is every finer level's too, since each
	// length divides the next.
	phase, _ := calendarPhase(o.Window, plan[len(plan)-1].res, now, "")
	return plan, phase, nil
}

// calendarPhase returns the phase that makes buckets of length res start
// at the starts of w's windows, or an error naming field when no phase
// does: res must divide a day, and every window start, from a year before
// around to five years after it, must fall on the same phase.
func calendarPhase(w Window, res time.Duration, around time.Time, field string) (int64, error) {
	const day = 24 * time.Hour
	if day%res != 0 {
		return 0, fmt.Errorf("slo: %s %v does not divide a day, so its buckets cannot start where the windows of %v start", field, res, w)
	}
	start, _ := w.Bounds(around.AddDate(-1, 0, 0))
	stop := around.AddDate(5, 0, 0)
	var offsets []int
	for s := start; s.Before(stop); _, s = w.Bounds(s) {
		if _, off := s.Zone(); !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	// A window starts at local midnight, offset seconds before a UTC
	// midnight; res divides a day, so the start's phase is -offset mod res.
	phaseOf := func(off int) int64 {
		_, r := floorDiv(-int64(off)*int64(time.Second), int64(res))
		return r
	}
	fits := day
	for _, off := range offsets[1:] {
		fits = gcd(fits, (time.Duration(off-offsets[0]) * time.Second).Abs())
	}
	if fits%res != 0 {
		names := make([]string, len(offsets))
		for i, off := range offsets {
			names[i] = time.Unix(0, 0).In(time.FixedZone("", off)).Format("-07:00")
		}
		return 0, fmt.Errorf("slo: %s %v cannot start its buckets where every window of %v starts: the zone's UTC offsets %s differ by %s; use a resolution that divides %[5]s",
			field, res, w, strings.Join(names, ", "), FormatDuration(fits))
	}
	return phaseOf(offsets[0]), nil
}

func gcd(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Objective returns the tracker's objective.
func (t *Tracker) Objective() Objective { return t.o }

// Record counts one event, good or bad, now.
func (t *Tracker) Record(good bool) { t.RecordAt(t.now(), good) }

// RecordAt counts one event, good or bad, at at.
func (t *Tracker) RecordAt(at time.Time, good bool) {
	// add's fast path for one event, small enough to inline: one add to
	// the newest bucket.
	if b := t.latestFor(at.UnixNano() - t.phase); b != nil {
		if good {
			b.good.Add(1)
		} else {
			b.bad.Add(1)
		}
		return
	}
	if good {
		t.add(at, 1, 0)
	} else {
		t.add(at, 0, 1)
	}
}

// latestFor returns the newest bucket when it holds ns (a time less the
// phase), and nil otherwise. Most events fall in the newest bucket, which
// is cached with its index, its epoch: a multiply checks it where the slow
// path needs two divisions. The newest bucket passed the MaxSkew test when
// it was claimed, so its events need no other. Before the first event the
// cached bucket is noBucket, and while a bucket is claimed its epoch is
// resetting: neither is an index, and both take the slow path.
func (t *Tracker) latestFor(ns int64) *bucket {
	b := t.latestBucket.Load()
	e := b.epoch.Load()
	// One unsigned comparison for 0 ≤ d < res.
	if d := ns - e*t.res; e <= empty || uint64(d) >= uint64(t.res) {
		return nil
	}
	return b
}

// RecordN counts good and bad events now. A negative count is an error and
// records nothing.
func (t *Tracker) RecordN(good, bad int64) error { return t.RecordNAt(t.now(), good, bad) }

// RecordNAt counts good and bad events at at. A negative count is an error
// and records nothing. A time whose bucket starts more than MaxSkew past the
// clock is an error too: the events are refused and counted in Future.
//
// So that no sum over the window can wrap around, a bucket holds at most
// MaxInt64 / 4 / buckets good events and as many bad ones (53 trillion
// each for 30 days at one minute) from RecordN: counts that would take it
// past that are an error naming them, and record nothing.
func (t *Tracker) RecordNAt(at time.Time, good, bad int64) error {
	switch {
	case good < 0:
		return fmt.Errorf("slo: RecordN good %d is negative", good)
	case bad < 0:
		return fmt.Errorf("slo: RecordN bad %d is negative", bad)
	case good > t.maxCount:
		return fmt.Errorf("slo: RecordN good %d is more than a bucket holds (%d); nothing recorded", good, t.maxCount)
	case bad > t.maxCount:
		return fmt.Errorf("slo: RecordN bad %d is more than a bucket holds (%d); nothing recorded", bad, t.maxCount)
	case good+bad == 0:
		return nil
	}
	switch t.add(at, good, bad) {
	case addFull:
		return fmt.Errorf("slo: RecordN good %d, bad %d at %v would take its bucket past %d events; nothing recorded", good, bad, at.Format(time.RFC3339Nano), t.maxCount)
	case addFuture:
		return fmt.Errorf("slo: RecordN at %v is more than MaxSkew %v past the clock; %d events refused", at.Format(time.RFC3339Nano), MaxSkew, good+bad)
	}
	return nil
}

// RecordLatency counts one event that took d now: bad when ok is false or
// d exceeds the configured Latency.
func (t *Tracker) RecordLatency(d time.Duration, ok bool) { t.RecordLatencyAt(t.now(), d, ok) }

// RecordLatencyAt is RecordLatency at at.
func (t *Tracker) RecordLatencyAt(at time.Time, d time.Duration, ok bool) {
	t.RecordAt(at, ok && (t.latency <= 0 || d <= t.latency))
}

// Dropped returns how many events were dropped for being older than the
// window.
func (t *Tracker) Dropped() int64 { return t.dropped.Load() }

// Future returns how many events were refused for being more than MaxSkew
// past the clock.
func (t *Tracker) Future() int64 { return t.future.Load() }

func (t *Tracker) index(at time.Time) int64 {
	q, _ := floorDiv(at.UnixNano()-t.phase, t.res)
	return q
}

func (t *Tracker) slot(idx int64) int64 {
	_, r := floorDiv(idx, int64(len(t.ring)))
	return r
}

// floorDiv returns the floored quotient and the remainder (0 ≤ r < d) of
// x / d, so that times before 1970 land in the right bucket.
func floorDiv(x, d int64) (q, r int64) {
	q = x / d
	r = x - q*d
	if r < 0 {
		q--
		r += d
	}
	return q, r
}

// What add did with events.
type added uint8

const (
	addRecorded added = iota
	addDropped        // older than the window; counted in dropped
	addFuture         // past MaxSkew; counted in future
	addFull           // the bucket would pass maxCount
)

// add records the events, or says why not.
func (t *Tracker) add(at time.Time, good, bad int64) added {
	ns := at.UnixNano() - t.phase
	if b := t.latestFor(ns); b != nil {
		return t.count(b, good, bad)
	}
	return t.addSlow(ns, good, bad)
}

// count adds the events to b, unless that would take its good or bad
// count past maxCount. A single event is added at once: no count grows by
// ones to within reach of MaxInt64, and maxCount leaves room for them.
func (t *Tracker) count(b *bucket, good, bad int64) added {
	switch {
	case good+bad == 1 && good == 1:
		b.good.Add(1)
		return addRecorded
	case good+bad == 1:
		b.bad.Add(1)
		return addRecorded
	}
	if !addCapped(&b.good, good, t.maxCount) {
		return addFull
	}
	if !addCapped(&b.bad, bad, t.maxCount) {
		b.good.Add(-good)
		return addFull
	}
	return addRecorded
}

// addCapped adds n to c unless the sum would pass limit, and reports
// whether it did.
func addCapped(c *atomic.Int64, n, limit int64) bool {
	if n == 0 {
		return true
	}
	for {
		v := c.Load()
		if v > limit-n {
			return false
		}
		if c.CompareAndSwap(v, v+n) {
			return true
		}
	}
}

// addSaturating adds n to c, stopping at MaxInt64.
func addSaturating(c *atomic.Int64, n int64) {
	for {
		v := c.Load()
		if v > math.MaxInt64-n {
			if v == math.MaxInt64 || c.CompareAndSwap(v, math.MaxInt64) {
				return
			}
			continue
		}
		if c.CompareAndSwap(v, v+n) {
			return
		}
	}
}

// beforeHorizon reads the clock, moves the horizon to MaxSkew past it, and
// reports whether ns is within it. The horizon only moves forward, so a
// clock that steps back keeps the furthest horizon it has given.
func (t *Tracker) beforeHorizon(ns int64) bool {
	h := t.now().UnixNano() + int64(MaxSkew)
	for {
		old := t.horizon.Load()
		if h <= old {
			return ns <= old
		}
		if t.horizon.CompareAndSwap(old, h) {
			return ns <= h
		}
	}
}

// addSlow records events at ns, less the phase, unless their bucket starts
// more than MaxSkew past the clock.
func (t *Tracker) addSlow(ns int64, good, bad int64) added {
	idx, _ := floorDiv(ns, t.res)
	if start := idx*t.res + t.phase; start > t.horizon.Load() && !t.beforeHorizon(start) {
		addSaturating(&t.future, good+bad)
		return addFuture
	}
	latest := t.latest.Load()
	if idx <= latest-t.n && latest != empty {
		t.events.add(good, bad)
		addSaturating(&t.dropped, good+bad)
		return addDropped
	}
	if latest != empty && idx <= latest-int64(len(t.ring)) {
		return t.addCoarse(idx, good, bad)
	}
	b := &t.ring[t.slot(idx)]
	for {
		e := b.epoch.Load()
		switch {
		case e == idx:
			if r := t.count(b, good, bad); r != addRecorded {
				return r
			}
			for idx > latest {
				if t.latest.CompareAndSwap(latest, idx) {
					t.latestBucket.Store(b)
					break
				}
				latest = t.latest.Load()
			}
			return addRecorded
		case e == resetting:
			runtime.Gosched()
		case e > idx:
			// The bucket already holds a newer index: this event is older
			// than the finest level keeps.
			return t.addCoarse(idx, good, bad)
		default:
			t.claim(b, e, idx)
		}
	}
}

// claim takes bucket b, which holds index e, for the newer index idx, and
// moves what it held to the next level.
func (t *Tracker) claim(b *bucket, e, idx int64) {
	t.beginMove()
	defer t.endMove()
	if !b.epoch.CompareAndSwap(e, resetting) {
		return
	}
	good, bad := b.good.Swap(0), b.bad.Swap(0)
	// The events leave the finest buckets, which EventsMetric sums, within
	// this move, so that its reader sees them in one place.
	t.events.add(good, bad)
	b.epoch.Store(idx)
	if e != empty && good+bad > 0 {
		t.put(1, e, good, bad, t.badSlice(good, bad), false)
	}
	t.noteFirst(idx)
}

// noteFirst lowers first to idx when idx is older.
func (t *Tracker) noteFirst(idx int64) {
	for f := t.first.Load(); idx < f && !t.first.CompareAndSwap(f, idx); f = t.first.Load() {
	}
}

// addCoarse records events older than the finest level keeps in the
// coarse bucket that holds their time. For Timeslices, whether the
// event's slice turns bad is judged against the coarse bucket's average
// slice (see lateSlice).
func (t *Tracker) addCoarse(idx, good, bad int64) added {
	if len(t.levels) == 1 {
		t.events.add(good, bad)
		addSaturating(&t.dropped, good+bad)
		return addDropped
	}
	t.beginMove()
	r := t.put(1, idx, good, bad, 0, true)
	t.endMove()
	switch r {
	case addRecorded:
		t.events.add(good, bad)
		t.noteFirst(idx)
	case addDropped:
		t.events.add(good, bad)
		addSaturating(&t.dropped, good+bad)
	}
	return r
}

// sums fills the counts of each span of buckets ending at the one holding
// at (spans sorted ascending), in one pass over the buckets of every
// level. A coarse bucket that a span's start cuts counts the share of its
// events that the span covers. A coarse level's sums are cached between
// calls at the same bucket index while no event reaches the level, as
// happens once a minute or less.
func (t *Tracker) sums(at time.Time, spans []int64, good, bad, badSlices []int64) {
	now := t.index(at)
	lo := now - spans[len(spans)-1] + 1
	n := len(spans)
	t.readMu.Lock()
	defer t.readMu.Unlock()
	var buf [6][16]int64
	total := newSpanSums(&buf, n)
	var fresh [8]bool // levels whose cache the last read filled
	t.readStable(func() {
		total.clear()
		clear(fresh[:])
		for l := range t.levels {
			bound := t.levelBound(l)
			if l == 0 || n > 16 || l >= len(fresh) {
				t.sumLevel(l, bound, now, lo, spans, total)
				continue
			}
			c := &t.caches[l]
			v := t.levels[l].version.Load()
			if !c.valid || c.now != now || c.version != v || c.bound != bound || !slices.Equal(c.spans[:c.n], spans) {
				c.valid, c.now, c.version, c.bound, c.n = false, now, v, bound, n
				copy(c.spans[:], spans)
				ls := newSpanSums(&c.sums, n)
				ls.clear()
				t.sumLevel(l, bound, now, lo, spans, ls)
				fresh[l] = true
			}
			total.add(newSpanSums(&c.sums, n))
		}
	})
	for l, f := range fresh {
		if f {
			t.caches[l].valid = true
		}
	}
	var g, b, sl int64
	for i := range spans {
		g, b, sl = g+total[3][i], b+total[4][i], sl+total[5][i]
		good[i], bad[i], badSlices[i] = total[0][i]+g, total[1][i]+b, total[2][i]+sl
	}
}

// spanSums holds a level's contributions to each span: the good, bad and
// bad-slice counts of the buckets the span holds in part, then those of
// the buckets that this span and every longer one hold whole.
type spanSums [6][]int64

func newSpanSums(buf *[6][16]int64, n int) spanSums {
	var s spanSums
	for i := range s {
		if n <= len(buf[i]) {
			s[i] = buf[i][:n]
		} else {
			s[i] = make([]int64, n)
		}
	}
	return s
}

func (s spanSums) clear() {
	for i := range s {
		clear(s[i])
	}
}

func (s spanSums) add(o spanSums) {
	for i := range s {
		for j := range s[i] {
			s[i][j] += o[i][j]
		}
	}
}

// levelCache is a coarse level's sums for the spans ending at bucket now,
// valid while the level's version and bound stay.
type levelCache struct {
	valid               bool
	now, version, bound int64
	n                   int
	spans               [16]int64
	sums                [6][16]int64
}

// sumLevel adds the counts of level l's buckets to the spans ending at
// now, the longest starting at lo.
func (t *Tracker) sumLevel(l int, bound, now, lo int64, spans []int64, out spanSums) {
	lv := &t.levels[l]
	for slot := range lv.ring {
		first, last, g, b, s, ok := t.bucketIn(l, lv, slot, bound)
		if !ok || last < lo || first > now {
			continue
		}
		k, to := last-first+1, min(last, now)
		i := len(spans) // the shortest span that holds the bucket whole
		for i > 0 && now-spans[i-1]+1 <= first {
			i--
		}
		if to == last && i < len(spans) {
			out[3][i], out[4][i], out[5][i] = out[3][i]+g, out[4][i]+b, out[5][i]+s
		} else {
			for j := i; j < len(spans); j++ {
				out[0][j] += share(g, 0, to-first+1, k)
				out[1][j] += share(b, 0, to-first+1, k)
				out[2][j] += share(s, 0, to-first+1, k)
			}
		}
		// Shorter spans start inside the bucket, or after it.
		for j := i - 1; j >= 0; j-- {
			from := now - spans[j] + 1
			if from > to {
				break
			}
			out[0][j] += share(g, from-first, to-first+1, k)
			out[1][j] += share(b, from-first, to-first+1, k)
			out[2][j] += share(s, from-first, to-first+1, k)
		}
	}
}

// ErrorRate returns the error rate over the last d, and false when there
// were no events then. For Timeslices it is the share of bad slices among
// those of the span the tracker has seen, from its first event on; a slice
// without events counts as good.
func (t *Tracker) ErrorRate(d time.Duration) (float64, bool) { return t.ErrorRateAt(t.now(), d) }

// ErrorRateAt is ErrorRate for the span ending at at.
func (t *Tracker) ErrorRateAt(at time.Time, d time.Duration) (float64, bool) {
	k := t.buckets(d)
	var g, b, bs [1]int64
	t.sums(at, []int64{k}, g[:], b[:], bs[:])
	return t.rate(t.index(at), k, g[0], b[0], bs[0])
}

// rate is the error rate over the k buckets ending at index now, from
// their sums, and false when they hold no events.
func (t *Tracker) rate(now, k, good, bad, badSlices int64) (float64, bool) {
	if good+bad == 0 {
		return 0, false
	}
	if t.o.Method == Timeslices {
		return float64(badSlices) / float64(t.seen(now, k)), true
	}
	return float64(bad) / float64(good+bad), true
}

// seen returns how many of the k buckets ending at index now the tracker
// has seen: those from its first event on. It is at least 1.
func (t *Tracker) seen(now, k int64) int64 {
	f := t.first.Load()
	if f == none || f > now {
		return 1
	}
	return max(1, min(k, now-f+1))
}

// observed returns how many of the whole buckets of the window so far,
// ending at index now, the tracker has observed: those from its start, or
// from its oldest event when that is older. It is at least 1.
func (t *Tracker) observed(now, whole int64) int64 {
	from := t.started
	if f := t.first.Load(); f != none && f < from {
		from = f
	}
	return max(1, min(whole, now-from+1))
}

// windowEvents is what an Occurrences budget is a share of: the total
// events of the window so far when the tracker observed all of its whole
// buckets, else the events it would hold at the rate of the obs observed.
func windowEvents(total, obs, whole int64) float64 {
	if obs >= whole {
		return float64(total)
	}
	return float64(total) * float64(whole) / float64(obs)
}

func (t *Tracker) buckets(d time.Duration) int64 {
	k := (int64(d) + t.res - 1) / t.res
	return min(max(k, 1), t.n)
}

// TrackerStatus is a tracker's report at one time. It is also the /slo
// JSON (MarshalJSON and UnmarshalJSON): Tracker.Handler writes it, and
// deploy.ReadSLOStatus reads it back as it was written.
type TrackerStatus struct {
	Status
	// Route is the route of Routes the status is of, or empty for a
	// tracker of its own.
	Route string
	// At is the time of the report, and Window the length of the window
	// that ends there.
	At     time.Time
	Window time.Duration
	// Period is the objective's window as configured, and Start and End
	// bound the window that holds At: End is At for a rolling window, the
	// end of the calendar period for a calendar one.
	Period     Window
	Start, End time.Time
	// Dropped counts events dropped for being older than the window, and
	// Future those refused for being more than MaxSkew past the clock.
	Dropped, Future int64
	// Observed is how much of the window so far the tracker has seen: from
	// its start (its clock at NewTracker), or from its oldest event's
	// bucket when that is older, to At, in whole buckets, at most the
	// window so far (Window for a rolling window, Start to At for a
	// calendar one). ObservedShare is Observed as a share of the window so
	// far, in (0, 1]. A tracker lives in one process's memory: after a
	// restart it knows only the part of the window since. For Occurrences
	// the budget is then a share of the events the whole window would
	// hold at the observed rate (see the package doc), so a budget is
	// never called spent on the evidence of a small part of the window.
	Observed      time.Duration
	ObservedShare float64
	// RecentBurnRate is the burn rate over RecentWindow: the shortest long
	// window of the policy's tiers (one hour for the default policy), or
	// the whole window when the policy has no tier. It is the pace of the
	// burn going on now, and zero when RecentWindow has no events. The
	// embedded Status's BurnRate is over the whole window so far.
	RecentBurnRate float64
	RecentWindow   time.Duration
	// Tiers holds the burn-rate policy's verdict, tier by tier.
	Tiers []TierResult
	// OmittedTiers lists the tiers of the default policy that the tracker
	// left out because they cannot serve the objective. It is empty when
	// TrackerConfig.Policy was set.
	OmittedTiers []OmittedTier
}

// OmittedTier is a tier of the default policy that a Tracker left out, and
// the reason.
type OmittedTier struct {
	Tier   Tier
	Reason string
}

// Firing reports whether any tier of severity sev fires.
func (s TrackerStatus) Firing(sev Severity) bool {
	for _, r := range s.Tiers {
		if r.Firing && r.Tier.Severity == sev {
			return true
		}
	}
	return false
}

// Status reports the objective now.
func (t *Tracker) Status() TrackerStatus { return t.StatusAt(t.now()) }

// StatusAt reports the objective over the window ending at at, with the
// burn rate of every tier's windows, in one pass over the buckets of every
// level (1,946 for 30 days with the default policy).
// ExhaustsIn projects the remaining budget at RecentBurnRate, the best
// estimate of the burn going on now, not at the whole window's BurnRate:
// Remaining / RecentBurnRate × Window. It is Forever when RecentBurnRate
// is zero (no bad events over RecentWindow), however much the window as a
// whole has burned, and zero once the budget is spent.
func (t *Tracker) StatusAt(at time.Time) TrackerStatus {
	window := t.o.Window.Length(at)
	whole := t.buckets(window)
	start, end := t.o.Window.Bounds(at)
	if t.o.Window.Calendar != NotCalendar {
		whole = min(t.index(at)-t.index(start)+1, t.n)
	}

	// The spans to sum: each tier's two windows, then the whole window.
	var spanBuf [16]int64
	spans := spanBuf[:0]
	for _, tr := range t.policy.Tiers {
		spans = append(spans, t.buckets(tr.Long), t.buckets(tr.ShortWindow()))
	}
	spans = append(spans, whole)
	sortUnique(&spans)
	var gb, bb, sb [16]int64
	good, bad, badSlices := gb[:], bb[:], sb[:]
	if len(spans) > len(gb) {
		good, bad, badSlices = make([]int64, len(spans)), make([]int64, len(spans)), make([]int64, len(spans))
	}
	good, bad, badSlices = good[:len(spans)], bad[:len(spans)], badSlices[:len(spans)]
	t.sums(at, spans, good, bad, badSlices)
	now := t.index(at)
	rate := func(d time.Duration) (float64, bool) {
		k := t.buckets(d)
		for i, s := range spans {
			if s == k {
				return t.rate(now, k, good[i], bad[i], badSlices[i])
			}
		}
		return 0, false
	}

	last := slices.Index(spans, whole)
	obs := t.observed(now, whole)
	var st Status
	windowSlices := int64(window / t.o.slice())
	switch {
	case good[last]+bad[last] == 0 && t.o.Method == Timeslices:
		st = t.o.evaluate(0, 0, float64(windowSlices), window)
	case t.o.Method == Timeslices:
		// The budget is a share of all the window's slices; the error
		// rate, and so the burn rate, is over the slices seen so far.
		seen := t.seen(now, whole)
		st = t.o.evaluate(seen-badSlices[last], seen, float64(windowSlices), window)
	default:
		// The budget is a share of the events of the window so far, at the
		// observed rate when the tracker has seen only part of it.
		total := good[last] + bad[last]
		st = t.o.evaluate(good[last], total, windowEvents(total, obs, whole), window)
	}
	s := TrackerStatus{
		Status: st, Route: t.route, At: at, Window: window, Period: t.o.Window, Start: start, End: end,
		Dropped: t.dropped.Load(), Future: t.future.Load(), OmittedTiers: t.omitted,
		Observed: time.Duration(obs * t.res), ObservedShare: float64(obs) / float64(whole),
	}
	s.Tiers = t.policy.Evaluate(t.o, window, rate)
	s.RecentWindow, s.RecentBurnRate = window, st.BurnRate
	if len(t.policy.Tiers) > 0 {
		shortest := t.policy.Tiers[0].Long
		for _, tr := range t.policy.Tiers {
			shortest = min(shortest, tr.Long)
		}
		r, _ := rate(shortest)
		s.RecentWindow, s.RecentBurnRate = shortest, r/st.Budget
		if !st.NoData {
			s.ExhaustsIn = exhaustsIn(st.Remaining, s.RecentBurnRate, window)
		}
	}
	return s
}

// sortUnique sorts a few values in place and drops repeats.
func sortUnique(p *[]int64) {
	s := *p
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	*p = out
}
