package slo

import (
	"time"
)

// BurnDown is how an objective's error budget was spent over its current
// window, in groups of the tracker's buckets: the series a burn-down chart
// draws, from the whole budget at the window's start to what remains at
// the time of the report.
type BurnDown struct {
	// Start is the start of the window's first bucket, and At the time of
	// the report. End is when the window ends: At for a rolling window,
	// the end of the calendar period otherwise.
	Start, At, End time.Time
	// Window is the length of the window: the budget is meant to last
	// that long.
	Window time.Duration
	// Group is the length of the bucket group each point sums, a whole
	// number of the tracker's buckets.
	Group time.Duration
	// Events counts the events recorded in the window, good and bad. Zero
	// means no data: every point then reads the whole budget.
	Events int64
	// AllowedBad is the budget in events (in slices for Timeslices), the
	// Status's AllowedBad for the same buckets: for a tracker that has
	// observed only part of the window, a share of the events the whole
	// window would hold at the observed rate.
	AllowedBad float64
	// Points holds one point per bucket group, oldest first. The first
	// and last groups may be partial: groups of a round length are
	// aligned to multiples of Group since the Unix epoch (for a calendar
	// window, since the epoch shifted to the zone's midnight, where its
	// buckets start), so that points stay put as time passes.
	Points []BurnPoint
}

// BurnPoint is the budget after one group of buckets.
type BurnPoint struct {
	// At is the end of the group, or the report time for the group that
	// holds it.
	At time.Time
	// Good and Bad count the group's events.
	Good, Bad int64
	// Spent is the budget spent from the window's start to At: bad events
	// for Occurrences, bad slices for Timeslices.
	Spent int64
	// Remaining is 1 - Spent / AllowedBad, below zero when the budget is
	// overspent and 1 with no data. The last point's Remaining equals the
	// Status's for the same time.
	Remaining float64
}

// groupSizes are the lengths a burn-down group is rounded up to, so that
// points fall on times a reader recognises.
var groupSizes = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour, 6 * time.Hour, 8 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour,
}

// BurnDown reports the burn-down of the window ending now, in at most
// maxPoints points; see BurnDownAt.
func (t *Tracker) BurnDown(maxPoints int) BurnDown { return t.BurnDownAt(t.now(), maxPoints) }

// BurnDownAt reports the burn-down of the window ending at at, reading the
// same buckets StatusAt sums. It groups buckets so that there are at most
// maxPoints points, each group the smallest round length (1m, 5m, 1h, 3h,
// 1d, ...) that is a whole number of buckets and keeps within maxPoints
// wherever the window starts, or else an equal share of the window;
// maxPoints of zero or less means no limit, one point per bucket of the
// tracker's resolution; a coarse bucket (see TrackerConfig.Resolution)
// shares its events among the points it spans, in proportion to time. It
// reads every bucket of the tracker once and allocates only the points.
func (t *Tracker) BurnDownAt(at time.Time, maxPoints int) BurnDown {
	window := t.o.Window.Length(at)
	now := t.index(at)
	whole := t.buckets(window)
	bd := BurnDown{At: at, End: at, Window: window}
	if t.o.Window.Calendar != NotCalendar {
		start, end := t.o.Window.Bounds(at)
		whole = min(now-t.index(start)+1, t.n)
		bd.End = end
	}
	first := now - whole + 1
	bd.Start = t.bucketStart(first).In(at.Location())

	// Groups of g buckets, counted from bucket base.
	g, base := int64(1), int64(0)
	if max := int64(maxPoints); max > 0 && whole > max {
		// No round length fits: groups from the window's first bucket.
		g, base = (whole+max-1)/max, first
		for _, size := range groupSizes {
			// A round length is aligned to the epoch, not to the window,
			// so it may cut a partial group at each end: one point more.
			if s := int64(size); s%t.res == 0 {
				if k := s / t.res; (whole+k-1)/k+1 <= max {
					g, base = k, 0
					break
				}
			}
		}
	}
	bd.Group = time.Duration(g * t.res)
	firstGroup, _ := floorDiv(first-base, g)
	lastGroup, _ := floorDiv(now-base, g)
	bd.Points = make([]BurnPoint, lastGroup-firstGroup+1)
	for i := range bd.Points {
		end := min(base+(firstGroup+int64(i)+1)*g, now+1) // exclusive
		bd.Points[i].At = t.bucketStart(end).In(at.Location())
		if end == now+1 {
			bd.Points[i].At = at
		}
	}
	t.groupCounts(bd.Points, first, now, base, g, firstGroup)
	var spent int64
	for i := range bd.Points {
		p := &bd.Points[i]
		bd.Events += p.Good + p.Bad
		spent += p.Spent
		p.Spent = spent
	}

	if t.o.Method == Timeslices {
		bd.AllowedBad = t.o.Budget() * float64(int64(window/t.o.slice()))
	} else {
		bd.AllowedBad = t.o.Budget() * windowEvents(bd.Events, t.observed(now, whole), whole)
	}
	for i := range bd.Points {
		p := &bd.Points[i]
		p.Remaining = 1
		if bd.AllowedBad > 0 {
			p.Remaining = 1 - float64(p.Spent)/bd.AllowedBad
		}
	}
	return bd
}

// groupCounts adds the events of the buckets from first to now into the
// points of their groups of g buckets counted from base, the first point
// being group firstGroup, and what each spends into the point's Spent. A
// coarse bucket longer than a group shares its events among the groups it
// spans, in proportion to time.
func (t *Tracker) groupCounts(points []BurnPoint, first, now, base, g, firstGroup int64) {
	t.readMu.Lock()
	defer t.readMu.Unlock()
	t.readStable(func() {
		for i := range points {
			points[i].Good, points[i].Bad, points[i].Spent = 0, 0, 0
		}
		t.eachBucket(first, now, func(a, z, good, bad, slices int64) {
			k := z - a + 1
			spends := bad
			if t.o.Method == Timeslices {
				spends = slices
			}
			for x, to := max(a, first), min(z, now); x <= to; {
				grp, _ := floorDiv(x-base, g)
				end := min(base+(grp+1)*g-1, to)
				p := &points[grp-firstGroup]
				p.Good += share(good, x-a, end-a+1, k)
				p.Bad += share(bad, x-a, end-a+1, k)
				p.Spent += share(spends, x-a, end-a+1, k)
				x = end + 1
			}
		})
	})
}

// bucketStart returns the time bucket index idx starts at.
func (t *Tracker) bucketStart(idx int64) time.Time { return time.Unix(0, idx*t.res+t.phase) }
