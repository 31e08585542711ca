package breaker

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// budgetSlots is how many slots a retry budget's window rolls in.
const budgetSlots = 10

// budget is one host's retry budget: its requests and retries counted over
// the window in slots, and a token bucket for the floor.
type budget struct {
	ratio float64
	slot  int64         // nanoseconds
	floor *rate.Limiter // nil when the floor is off
	used  atomic.Int64  // unix nanoseconds of the last request

	mu    sync.Mutex // guards slots
	slots [budgetSlots]budgetSlot
}

type budgetSlot struct {
	epoch             int64 // unix nanoseconds / slot
	requests, retries int64
}

func newBudget(window time.Duration, ratio, floor float64, now time.Time) *budget {
	b := &budget{ratio: ratio, slot: int64(window / budgetSlots)}
	if floor > 0 {
		b.floor = rate.NewLimiter(rate.Limit(floor), int(min(max(1, math.Ceil(floor)), math.MaxInt32)))
	}
	b.used.Store(now.UnixNano())
	return b
}

func (b *budget) lastUsed() int64 { return b.used.Load() }

// current returns the slot of now, emptied if it last held an older
// epoch. b.mu is held.
func (b *budget) current(now time.Time) *budgetSlot {
	e := now.UnixNano() / b.slot
	s := &b.slots[(e%budgetSlots+budgetSlots)%budgetSlots]
	if s.epoch != e {
		*s = budgetSlot{epoch: e}
	}
	return s
}

// request counts a request.
func (b *budget) request(now time.Time) {
	b.used.Store(now.UnixNano())
	b.mu.Lock()
	b.current(now).requests++
	b.mu.Unlock()
}

// retry reports whether a retry may go now, and counts it if so.
func (b *budget) retry(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.current(now)
	var requests, retries int64
	for i := range b.slots {
		if s := &b.slots[i]; s.epoch > cur.epoch-budgetSlots && s.epoch <= cur.epoch {
			requests += s.requests
			retries += s.retries
		}
	}
	if float64(retries+1) <= b.ratio*float64(requests) || (b.floor != nil && b.floor.AllowN(now, 1)) {
		cur.retries++
		return true
	}
	return false
}
