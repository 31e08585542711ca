package slo

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// A tracker keeps its buckets in levels. The first level holds buckets of
// the tracker's resolution as far back as the policy needs them exactly:
// the longest short window and the long windows of the page tiers (6
// hours for the default policy). Each further level holds coarser buckets
// (at most levelBuckets of them) as far back as the longest long window
// (3 days for the default policy, in 5-minute buckets), then the whole
// objective window (30 days in hourly buckets). A bucket leaves a level
// when its slot is claimed for a newer index, and its counts join the
// bucket of the next level that holds its time; so every event is in
// exactly one bucket, and the sums over the levels are the sums of a ring
// of fine buckets, except at a span's edge that falls inside a coarse
// bucket, which counts the share of the coarse bucket's events that the
// span covers.

// levelBuckets is the most buckets a coarse level aims for.
const levelBuckets = 1000

// coarseSizes are the bucket lengths a coarse level may take: lengths
// that divide a day, so that calendar windows start on a bucket's start.
var coarseSizes = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 6 * time.Hour, 8 * time.Hour, 12 * time.Hour,
	24 * time.Hour,
}

// level is one ring of buckets, each k buckets of the tracker's
// resolution long.
type level struct {
	k    int64
	ring []bucket
	// newest is the newest index claimed in the ring, or empty.
	newest atomic.Int64
	// version counts the writes to the level, so that a cached sum of it
	// knows when it is stale.
	version atomic.Int64
	// slices counts the bad timeslices of each bucket of a coarse level
	// of a Timeslices tracker; nil otherwise.
	slices []atomic.Int64
}

func (l *level) slot(idx int64) int64 {
	_, r := floorDiv(idx, int64(len(l.ring)))
	return r
}

// levelPlan is the length and the number of buckets of one level.
type levelPlan struct {
	res     time.Duration
	buckets int64
}

// planLevels returns the levels of a tracker of window (n buckets of res)
// under policy, coarsest last. fits reports whether a coarse length can
// start its buckets where the windows start. A single level of n buckets
// is today's ring of fine buckets: it is the plan when no tier needs less
// or when coarse levels would not save at least half of the memory.
func planLevels(policy Policy, window, res time.Duration, n int64, fits func(time.Duration) bool) []levelPlan {
	single := []levelPlan{{res, n}}
	if len(policy.Tiers) == 0 {
		return single
	}
	var fine, longest time.Duration
	for _, tr := range policy.Tiers {
		fine = max(fine, tr.ShortWindow())
		if tr.Severity == Page {
			fine = max(fine, tr.Long)
		}
		longest = max(longest, tr.Long)
	}
	nf := (int64(fine) + int64(res) - 1) / int64(res)
	if nf >= n {
		return single
	}
	plan := []levelPlan{{res, nf}}
	total := nf
	for _, cover := range []time.Duration{longest, window} {
		prev := plan[len(plan)-1]
		if cover <= time.Duration(int64(prev.res)*prev.buckets) {
			continue
		}
		r, ok := coarseSize(cover, prev.res, fits)
		if !ok {
			return single
		}
		b := (int64(cover)+int64(r)-1)/int64(r) + 1
		plan = append(plan, levelPlan{r, b})
		total += b
	}
	if len(plan) == 1 || total*2 > n {
		return single
	}
	return plan
}

// coarseSize returns the shortest of coarseSizes, a multiple of prev that
// fits, that covers cover in at most levelBuckets buckets, or else the
// longest one that fits.
func coarseSize(cover, prev time.Duration, fits func(time.Duration) bool) (time.Duration, bool) {
	var best time.Duration
	for _, r := range coarseSizes {
		if r <= prev || r%prev != 0 || !fits(r) {
			continue
		}
		best = r
		if int64(cover)/int64(r) < levelBuckets {
			return r, true
		}
	}
	return best, best != 0
}

// makeLevels makes the rings of plan.
func makeLevels(plan []levelPlan, timeslices bool) []level {
	levels := make([]level, len(plan))
	for i, p := range plan {
		l := &levels[i]
		l.k = int64(p.res / plan[0].res)
		l.ring = make([]bucket, p.buckets)
		l.newest.Store(empty)
		for j := range l.ring {
			l.ring[j].epoch.Store(empty)
		}
		if timeslices && i > 0 {
			l.slices = make([]atomic.Int64, p.buckets)
		}
	}
	return levels
}

// put adds counts of the fine bucket idx (good, bad, and bad slices) to
// the first level from from on that holds its time, claiming the bucket
// there and moving what it held to the next level. It returns addDropped
// when no level holds the time any more (the counts are older than the
// window) and, when capped, addFull when the bucket would pass maxCount
// events for each fine bucket it spans. The caller holds a move (see
// beginMove).
func (t *Tracker) put(from int, idx, good, bad, slices int64, capped bool) added {
	for l := from; l < len(t.levels); l++ {
		lv := &t.levels[l]
		j, _ := floorDiv(idx, lv.k)
		s := lv.slot(j)
		b := &lv.ring[s]
		lv.version.Add(1)
	claim:
		for {
			e := b.epoch.Load()
			switch {
			case e == j && capped:
				limit := t.maxCount * lv.k
				pg, pb := b.good.Load(), b.bad.Load()
				if !addCapped(&b.good, good, limit) {
					return addFull
				}
				if !addCapped(&b.bad, bad, limit) {
					b.good.Add(-good)
					return addFull
				}
				if lv.slices != nil {
					addWithin(&lv.slices[s], t.lateSlice(pg, pb, lv.k, good, bad), lv.k)
				}
				return addRecorded
			case e == j:
				b.good.Add(good)
				b.bad.Add(bad)
				if lv.slices != nil {
					lv.slices[s].Add(slices)
				}
				return addRecorded
			case e == resetting:
				runtime.Gosched()
			case e > j:
				// The slot holds a newer bucket: the time is older than
				// this level keeps.
				break claim
			case b.epoch.CompareAndSwap(e, resetting):
				og, ob := b.good.Swap(good), b.bad.Swap(bad)
				var os int64
				if capped {
					slices = t.lateSlice(0, 0, lv.k, good, bad)
				}
				if lv.slices != nil {
					os = lv.slices[s].Swap(slices)
				}
				b.epoch.Store(j)
				for n := lv.newest.Load(); j > n && !lv.newest.CompareAndSwap(n, j); n = lv.newest.Load() {
				}
				if e != empty && og+ob > 0 {
					t.put(l+1, e*lv.k, og, ob, os, false)
				}
				return addRecorded
			}
		}
	}
	return addDropped
}

// beginMove and endMove bracket every write that moves counts between
// levels or claims a coarse bucket: a reader that sees a move begin while
// it sums reads again, so that no sum sees counts in two places or in
// none.
func (t *Tracker) beginMove() { t.moves.Add(1) }
func (t *Tracker) endMove()   { t.moved.Add(1) }

// readStable calls read until no move began or was under way while it
// ran.
func (t *Tracker) readStable(read func()) {
	for {
		m := t.moves.Load()
		if t.moved.Load() != m {
			runtime.Gosched()
			continue
		}
		read()
		if t.moves.Load() == m {
			return
		}
	}
}

// badSlice is 1 when a fine bucket's counts make a bad timeslice.
func (t *Tracker) badSlice(good, bad int64) int64 {
	if t.o.Method == Timeslices && bad > 0 && float64(good) < t.o.sliceTarget()*float64(good+bad) {
		return 1
	}
	return 0
}

// lateSlice is how many bad slices a late event adds to a coarse bucket of
// k slices that held good and bad events before: the bucket no longer
// knows its slices apart, so the event's slice is taken to have held the
// bucket's average, and the event adds 1 when it makes that slice bad, -1
// when it makes it good.
func (t *Tracker) lateSlice(good, bad, k, addGood, addBad int64) int64 {
	isBad := func(g, b float64) bool { return b > 0 && g < t.o.sliceTarget()*(g+b) }
	g, b := float64(good)/float64(k), float64(bad)/float64(k)
	before, after := isBad(g, b), isBad(g+float64(addGood), b+float64(addBad))
	switch {
	case after && !before:
		return 1
	case before && !after:
		return -1
	}
	return 0
}

// addWithin adds d to c unless that takes c outside [0, limit].
func addWithin(c *atomic.Int64, d, limit int64) {
	for {
		v := c.Load()
		if d == 0 || v+d < 0 || v+d > limit || c.CompareAndSwap(v, v+d) {
			return
		}
	}
}

// eachBucket calls f with the fine indices [first, last] and the counts
// of every bucket of every level that overlaps [lo, hi]. A coarse bucket's
// last index is the newest whose events can have reached its level: a
// level holds only what the finer one no longer keeps, so the part of a
// coarse bucket that the finer level still keeps is none of its.
func (t *Tracker) eachBucket(lo, hi int64, f func(first, last, good, bad, slices int64)) {
	for l := range t.levels {
		lv, bound := &t.levels[l], t.levelBound(l)
		for s := range lv.ring {
			first, last, good, bad, slices, ok := t.bucketIn(l, lv, s, bound)
			if ok && last >= lo && first <= hi {
				f(first, last, good, bad, slices)
			}
		}
	}
}

// levelBound is the newest fine index whose events can have reached level
// l (see eachBucket).
func (t *Tracker) levelBound(l int) int64 {
	switch l {
	case 0:
		return math.MaxInt64
	case 1:
		return t.latest.Load() - int64(len(t.ring))
	}
	prev := &t.levels[l-1]
	return (prev.newest.Load()-int64(len(prev.ring))+1)*prev.k - 1
}

// bucketIn returns the fine indices [first, last] and the counts of slot s
// of level l, whose bound is bound, and false when it holds no events.
func (t *Tracker) bucketIn(l int, lv *level, s int, bound int64) (first, last, good, bad, slices int64, ok bool) {
	b := &lv.ring[s]
	j := b.epoch.Load()
	if j == empty || j == resetting {
		return 0, 0, 0, 0, 0, false
	}
	first, last = j*lv.k, min(j*lv.k+lv.k-1, bound)
	if last < first {
		return 0, 0, 0, 0, 0, false
	}
	good, bad = b.good.Load(), b.bad.Load()
	if lv.slices != nil {
		slices = lv.slices[s].Load()
	} else if l == 0 {
		slices = t.badSlice(good, bad)
	}
	return first, last, good, bad, slices, good+bad+slices > 0
}

// share is the part of n that falls in [from, to) of a bucket of k,
// rounded so that the shares of consecutive parts add up to n.
func share(n, from, to, k int64) int64 {
	if from == 0 && to == k {
		return n
	}
	part := func(x int64) int64 { return int64(math.Floor(float64(n) * float64(x) / float64(k))) }
	return part(to) - part(from)
}
