package slo

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// refTracker is the reference the compact tracker is held to: one bucket
// per minute for all time, summed exactly.
type refTracker struct {
	o         Objective
	base      int64 // minute index of counts[0]
	good, bad []int64
	first     int64      // oldest minute recorded
	cum       [][3]int64 // prefix sums, valid below dirty
	dirty     int64
}

func newRef(o Objective, from time.Time) *refTracker {
	return &refTracker{o: o, base: minuteOf(from), first: math.MaxInt64}
}

func minuteOf(at time.Time) int64 {
	q, _ := floorDiv(at.UnixNano(), int64(time.Minute))
	return q
}

func (r *refTracker) add(at time.Time, good, bad int64) {
	m := minuteOf(at) - r.base
	if m < 0 {
		panic("refTracker: event before its base")
	}
	for int64(len(r.good)) <= m {
		r.good, r.bad = append(r.good, 0), append(r.bad, 0)
	}
	r.good[m] += good
	r.bad[m] += bad
	r.first = min(r.first, m+r.base)
	r.dirty = min(r.dirty, m)
}

func (r *refTracker) badSlice(m int) int64 {
	g, b := r.good[m], r.bad[m]
	if r.o.Method == Timeslices && b > 0 && float64(g) < r.o.sliceTarget()*float64(g+b) {
		return 1
	}
	return 0
}

// sum returns the good, bad events and bad slices of minutes lo to hi.
func (r *refTracker) sum(lo, hi int64) (good, bad, slices int64) {
	for len(r.cum) < len(r.good)+1 {
		r.cum = append(r.cum, [3]int64{})
	}
	for m := int(r.dirty); m < len(r.good); m++ {
		r.cum[m+1] = [3]int64{r.cum[m][0] + r.good[m], r.cum[m][1] + r.bad[m], r.cum[m][2] + r.badSlice(m)}
	}
	r.dirty = int64(len(r.good))
	at := func(m int64) [3]int64 {
		m -= r.base
		switch {
		case m < 0:
			return [3]int64{}
		case m >= int64(len(r.cum)):
			return r.cum[len(r.cum)-1]
		}
		return r.cum[m]
	}
	a, z := at(lo), at(hi+1)
	return z[0] - a[0], z[1] - a[1], z[2] - a[2]
}

// status is what a one-minute tracker that observed the whole window
// reports at at: the status over the window and the tiers' verdicts.
func (r *refTracker) status(policy Policy, at time.Time) TrackerStatus {
	now := minuteOf(at)
	window := r.o.Window.Length(at)
	whole := int64(window / time.Minute)
	start, _ := r.o.Window.Bounds(at)
	if r.o.Window.Calendar != NotCalendar {
		whole = now - minuteOf(start) + 1
	}
	seen := func(k int64) int64 {
		if r.first == math.MaxInt64 || r.first > now {
			return 1
		}
		return max(1, min(k, now-r.first+1))
	}
	rate := func(d time.Duration) (float64, bool) {
		// A tier's window is not cut at a calendar window's start.
		k := min(int64((d+time.Minute-1)/time.Minute), int64(r.o.Window.maxLength()/time.Minute))
		g, b, s := r.sum(now-k+1, now)
		if g+b == 0 {
			return 0, false
		}
		if r.o.Method == Timeslices {
			return float64(s) / float64(seen(k)), true
		}
		return float64(b) / float64(g+b), true
	}
	g, b, s := r.sum(now-whole+1, now)
	var st Status
	switch {
	case r.o.Method == Timeslices && g+b == 0:
		st = r.o.evaluate(0, 0, float64(window/r.o.slice()), window)
	case r.o.Method == Timeslices:
		n := seen(whole)
		st = r.o.evaluate(n-s, n, float64(window/r.o.slice()), window)
	default:
		st = r.o.evaluate(g, g+b, float64(g+b), window)
	}
	return TrackerStatus{Status: st, Tiers: policy.Evaluate(r.o, window, rate)}
}

// TestCompactMatchesReferenceOnRandomStreams: on random streams of events
// (gaps of days, bursts into one minute, events out of order and at the
// window's edges), every span the tracker sums differs from the one-minute
// reference by no more than the events of the coarse buckets the span
// cuts, and spans within the finest level are exact.
func TestCompactMatchesReferenceOnRandomStreams(t *testing.T) {
	const day = 24 * time.Hour
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 99))
		method := Occurrences
		if seed%2 == 1 {
			method = Timeslices
		}
		o := Objective{Name: "api", Target: 0.999, Window: Rolling(30 * day), Method: method}
		tr, err := NewTracker(o, TrackerConfig{Now: func() time.Time { return t0.Add(365 * day) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.levels) != 3 {
			t.Fatalf("levels = %d, want 3", len(tr.levels))
		}
		ref := newRef(o, t0.Add(-40*day))
		cur := t0
		latest := cur
		late := int64(0) // events recorded past the finest level
		record := func(at time.Time, good, bad int64) {
			if at.Before(latest.Add(-6 * time.Hour)) {
				late++
			}
			if err := tr.RecordNAt(at, good, bad); err != nil {
				t.Fatal(err)
			}
			if !at.Before(t0.Add(-40 * day)) {
				ref.add(at, good, bad)
			}
			if at.After(latest) {
				latest = at
			}
		}
		var worst float64
		for step := range 400 {
			switch p := rng.IntN(100); {
			case p < 5: // a gap of up to three days
				cur = cur.Add(time.Duration(rng.Int64N(int64(3 * day))))
			case p < 10: // a burst into one minute
				record(cur, rng.Int64N(100_000), rng.Int64N(5_000))
			case p < 20 && method == Occurrences: // late, within the window or not
				record(cur.Add(-time.Duration(rng.Int64N(int64(35*day)))), rng.Int64N(50), rng.Int64N(5))
			case p < 25: // at the edges of the window that ends now
				edge := cur.Add(-30 * day)
				record(edge, 1, 1)
				record(edge.Add(time.Nanosecond), 2, 0)
				record(edge.Add(-time.Nanosecond), 0, 3)
			default: // steady traffic for a while
				for range 1 + rng.IntN(180) {
					record(cur, 50+rng.Int64N(100), rng.Int64N(3))
					cur = cur.Add(time.Minute)
				}
			}
			at := latest.Add(time.Duration(rng.Int64N(int64(time.Minute))))
			if rng.IntN(4) == 0 {
				at = latest.Add(time.Duration(rng.Int64N(int64(2 * day))))
			}
			worst = max(worst, compareSpans(t, tr, ref, at, step, late))
		}
		t.Logf("%v seed %d: largest difference in a span's bad events, relative to the span's: %.3g%%", method, seed, 100*worst)
	}
}

// compareSpans checks every span of the default policy and the window at
// at. A late event's slice is judged by its coarse bucket's average (see
// lateSlice), so bad slices may differ by one more for each of the late
// events. It returns the largest difference in bad events relative to the
// reference's, over spans with at least a thousand events.
func compareSpans(t *testing.T, tr *Tracker, ref *refTracker, at time.Time, step int, late int64) float64 {
	t.Helper()
	spans := []int64{}
	for _, tier := range tr.policy.Tiers {
		spans = append(spans, tr.buckets(tier.ShortWindow()), tr.buckets(tier.Long))
	}
	spans = append(spans, tr.n)
	sortUnique(&spans)
	good, bad, slices := make([]int64, len(spans)), make([]int64, len(spans)), make([]int64, len(spans))
	tr.sums(at, spans, good, bad, slices)
	now := tr.index(at)
	latest := tr.latest.Load()
	var worst float64
	for i, k := range spans {
		lo := now - k + 1
		rg, rb, rs := ref.sum(lo, now)
		// The coarse buckets a span may cut are at most an hour long:
		// the hours that hold its ends.
		hour := int64(time.Hour / time.Minute)
		h, _ := floorDiv(lo, hour)
		cg, cb, cs := ref.sum(h*hour, h*hour+hour-1)
		exact := lo > latest-int64(len(tr.ring))
		if exact {
			cg, cb, cs = 0, 0, 0
		}
		if d := good[i] - rg; d > cg || -d > cg {
			t.Fatalf("step %d, span %d at %v: good %d, reference %d, more apart than the %d of the cut bucket", step, k, at, good[i], rg, cg)
		}
		if d := bad[i] - rb; d > cb || -d > cb {
			t.Fatalf("step %d, span %d at %v: bad %d, reference %d, more apart than the %d of the cut bucket", step, k, at, bad[i], rb, cb)
		}
		if d, lim := slices[i]-rs, min(cs, 60)+late; d > lim || -d > lim {
			t.Fatalf("step %d, span %d at %v: bad slices %d, reference %d, more apart than the %d of the cut bucket", step, k, at, slices[i], rs, cs)
		}
		if rg+rb >= 1000 && rb > 0 {
			worst = max(worst, math.Abs(float64(bad[i]-rb))/float64(rb))
		}
	}
	return worst
}

// scenario is a traffic pattern, a minute at a time.
type scenario struct {
	name     string
	o        Objective
	from     time.Time
	duration time.Duration
	traffic  func(m int, rng *rand.Rand) (good, bad int64)
}

// TestCompactMatchesReferenceOnScenarios: on the traffic patterns of
// slotest's scenarios, evaluated every five minutes, burn rates and the
// remaining budget are within 0.5% of a one-minute tracker's, and every
// tier fires and resets at the same evaluation.
func TestCompactMatchesReferenceOnScenarios(t *testing.T) {
	const day = 24 * time.Hour
	checkout := Objective{Name: "checkout", Target: 0.999, Window: Rolling(30 * day)}
	ist := time.FixedZone("IST", 5*3600+1800)
	jitter := func(rng *rand.Rand) int64 { return 900 + rng.Int64N(200) }
	scenarios := []scenario{
		{"steady", checkout, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 8 * day, func(m int, rng *rand.Rand) (int64, int64) {
			return jitter(rng), rng.Int64N(2)
		}},
		{"spike", checkout, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 8 * day, func(m int, rng *rand.Rand) (int64, int64) {
			if m >= 4*1440+600 && m < 4*1440+630 {
				return 700, 300
			}
			return jitter(rng), rng.Int64N(2)
		}},
		{"slow burn", checkout, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 9 * day, func(m int, rng *rand.Rand) (int64, int64) {
			if m >= 1440 && m < 6*1440 {
				return jitter(rng), 2 + rng.Int64N(2) // a burn of about 2.5
			}
			return jitter(rng), rng.Int64N(2)
		}},
		{"recovery", checkout, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 5 * day, func(m int, rng *rand.Rand) (int64, int64) {
			if m >= 2*1440 && m < 2*1440+120 {
				return 500, 500
			}
			return jitter(rng), 0
		}},
		{"calendar month +05:30", Objective{Name: "month", Target: 0.995, Window: CalendarWindow(Month, ist)},
			time.Date(2026, 3, 1, 0, 0, 0, 0, ist), 33 * day, func(m int, rng *rand.Rand) (int64, int64) {
				if m >= 20*1440 && m < 20*1440+90 {
					return 600, 400
				}
				return jitter(rng), rng.Int64N(6)
			}},
		{"timeslices", Objective{Name: "slices", Target: 0.99, Window: Rolling(30 * day), Method: Timeslices, SliceTarget: 0.95},
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 8 * day, func(m int, rng *rand.Rand) (int64, int64) {
				if m >= 3*1440 && m < 3*1440+200 || rng.IntN(500) == 0 {
					return 100, 60
				}
				return jitter(rng), rng.Int64N(3)
			}},
	}
	var worst float64
	for _, sc := range scenarios {
		rng := rand.New(rand.NewPCG(7, 7))
		clock := sc.from.Add(-sc.o.Window.Length(sc.from))
		tr, err := NewTracker(sc.o, TrackerConfig{Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		clock = sc.from.Add(sc.duration + time.Hour)
		ref := newRef(sc.o, sc.from)
		fired := 0
		for m := range int(sc.duration / time.Minute) {
			at := sc.from.Add(time.Duration(m) * time.Minute)
			good, bad := sc.traffic(m, rng)
			if err := tr.RecordNAt(at, good, bad); err != nil {
				t.Fatal(err)
			}
			ref.add(at, good, bad)
			if m%5 != 4 {
				continue
			}
			at = at.Add(time.Minute - time.Second)
			got, want := tr.StatusAt(at), ref.status(tr.policy, at)
			near := func(what string, g, w float64) {
				d := math.Abs(g - w)
				if w != 0 {
					d /= math.Abs(w)
				}
				worst = max(worst, d)
				if d > 0.005 {
					t.Errorf("%s at %v: %s %v, reference %v", sc.name, at, what, g, w)
				}
			}
			near("remaining", got.Remaining, want.Remaining)
			near("burn rate", got.BurnRate, want.BurnRate)
			for i, r := range got.Tiers {
				w := want.Tiers[i]
				near(FormatDuration(r.Tier.Long)+" burn", r.LongBurn, w.LongBurn)
				near(FormatDuration(r.Tier.ShortWindow())+" burn", r.ShortBurn, w.ShortBurn)
				if r.Firing != w.Firing {
					t.Errorf("%s at %v: %v tier firing %v, reference %v", sc.name, at, FormatDuration(r.Tier.Long), r.Firing, w.Firing)
				}
				if r.Firing {
					fired++
				}
			}
		}
		if sc.name != "steady" && fired == 0 {
			t.Errorf("%s: no tier fired; the scenario tests nothing", sc.name)
		}
	}
	t.Logf("largest relative difference from the one-minute reference: %.3g%%", 100*worst)
}

// TestCompactConcurrentMovesLoseNothing: writers that push buckets from
// level to level while readers sum lose no event and count none twice.
func TestCompactConcurrentMovesLoseNothing(t *testing.T) {
	const day = 24 * time.Hour
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o := Objective{Name: "api", Target: 0.999, Window: Rolling(30 * day)}
	tr, err := NewTracker(o, TrackerConfig{Now: func() time.Time { return t0.Add(365 * day) }})
	if err != nil {
		t.Fatal(err)
	}
	end := t0.Add(10 * day)
	done := make(chan struct{})
	read := make(chan int64)
	go func() {
		var last int64
		for {
			select {
			case <-done:
				read <- last
				return
			default:
				// Totals only grow: a sum that saw a move half done
				// would dip.
				s := tr.StatusAt(end)
				if s.Total < last {
					t.Errorf("total fell from %d to %d while buckets moved", last, s.Total)
				}
				last = s.Total
			}
		}
	}()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20_000 {
				// Each writer walks ten days a minute at a time, so
				// buckets leave every level while the others write.
				tr.RecordAt(t0.Add(time.Duration(i*4+g)*10*time.Second), true)
			}
		})
	}
	wg.Wait()
	close(done)
	<-read
	if s := tr.StatusAt(end); s.Total != 80_000 || s.Dropped != 0 {
		t.Errorf("after 80,000 events: total %d, dropped %d", s.Total, s.Dropped)
	}
}
