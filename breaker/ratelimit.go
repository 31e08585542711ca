package breaker

import (
	"container/list"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys bounds the limiters a per-key RateLimit keeps.
const DefaultMaxKeys = 10000

// RateLimitConfig configures RateLimit.
type RateLimitConfig struct {
	// Rate is the sustained rate, per key, in requests per second. It must
	// be positive.
	Rate rate.Limit
	// Burst is how many requests may come at once. It must be positive.
	Burst int
	// Key, when set, limits each key (a client address, a tenant) on its
	// own. Nil means one limit for everything.
	Key func(r *http.Request) string
	// MaxKeys bounds the per-key limiters kept, least recently used first
	// out. Zero means DefaultMaxKeys.
	MaxKeys int
}

// RateLimit returns middleware that sheds load over the limit: it answers
// 429 Too Many Requests with a Retry-After of the seconds until a request
// would be allowed, rounded up, instead of queueing work the service cannot
// do.
func RateLimit(cfg RateLimitConfig) (func(http.Handler) http.Handler, error) {
	switch {
	case cfg.Rate <= 0 || math.IsNaN(float64(cfg.Rate)):
		return nil, fmt.Errorf("breaker: RateLimitConfig.Rate %v is not positive", cfg.Rate)
	case cfg.Burst <= 0:
		return nil, fmt.Errorf("breaker: RateLimitConfig.Burst %d is not positive", cfg.Burst)
	case cfg.MaxKeys < 0:
		return nil, fmt.Errorf("breaker: RateLimitConfig.MaxKeys %d is negative", cfg.MaxKeys)
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	keys := &keyedLimiters{cfg: cfg, byKey: make(map[string]*list.Element), lru: list.New()}
	global := rate.NewLimiter(cfg.Rate, cfg.Burst)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			lim := global
			if cfg.Key != nil {
				lim = keys.get(cfg.Key(r))
			}
			now := time.Now()
			res := lim.ReserveN(now, 1)
			if delay := res.DelayFrom(now); delay > 0 {
				res.CancelAt(now)
				secs := int64(math.Ceil(delay.Seconds()))
				w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
				http.Error(w, "too many requests", http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

type keyedLimiters struct {
	cfg   RateLimitConfig
	mu    sync.Mutex // guards byKey and lru
	byKey map[string]*list.Element
	lru   *list.List // of *keyed, most recent first
}

type keyed struct {
	key string
	lim *rate.Limiter
}

func (k *keyedLimiters) get(key string) *rate.Limiter {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e, ok := k.byKey[key]; ok {
		k.lru.MoveToFront(e)
		return e.Value.(*keyed).lim
	}
	if k.lru.Len() >= k.cfg.MaxKeys {
		old := k.lru.Back()
		k.lru.Remove(old)
		delete(k.byKey, old.Value.(*keyed).key)
	}
	kd := &keyed{key: key, lim: rate.NewLimiter(k.cfg.Rate, k.cfg.Burst)}
	k.byKey[key] = k.lru.PushFront(kd)
	return kd.lim
}
