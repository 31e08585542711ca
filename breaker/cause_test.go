package breaker_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/internal/pipenet"
)

// changes collects what OnChange hears.
type changes struct {
	mu   sync.Mutex // guards seen
	seen []breaker.Change
}

func (c *changes) add(ch breaker.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, ch)
}

func (c *changes) causes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ch := range c.seen {
		out = append(out, ch.Name+" "+ch.From.String()+">"+ch.To.String()+": "+ch.Cause.String())
	}
	return out
}

func boom(context.Context) (int, error) { panic("boom") }

// executePanicking runs a panicking call and swallows its panic.
func executePanicking(b *breaker.Breaker[int]) {
	defer func() { recover() }()
	b.Execute(context.Background(), boom)
}

// Every change OnChange hears carries what made it, in the order of the
// changes, and it hears the changes OnStateChange hears.
func TestOnChangeCauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c changes
		var plain []string
		b := mustNew(t, breaker.Config{Name: "db", ConsecutiveFailures: 2, FailureRatio: -1, OpenTimeout: time.Second, Jitter: -1, HalfOpenProbes: 1,
			OnChange: c.add,
			OnStateChange: func(name string, from, to breaker.State) {
				plain = append(plain, name+" "+from.String()+">"+to.String())
			}})
		ctx := t.Context()
		b.Execute(ctx, fail)
		b.Execute(ctx, fail)
		time.Sleep(time.Second + time.Millisecond)
		b.Execute(ctx, fail)
		time.Sleep(time.Second + time.Millisecond)
		b.Execute(ctx, succeed)
		b.Execute(ctx, fail)
		executePanicking(b)
		time.Sleep(time.Second + time.Millisecond)
		executePanicking(b)

		// A panic that trips nothing is not the cause of a later trip.
		later := mustNew(t, breaker.Config{Name: "later", ConsecutiveFailures: 2, FailureRatio: -1, OnChange: c.add})
		executePanicking(later)
		later.Execute(ctx, succeed)
		later.Execute(ctx, fail)
		later.Execute(ctx, fail)

		ratio := mustNew(t, breaker.Config{Name: "api", ConsecutiveFailures: -1, FailureRatio: 0.5, MinCalls: 2, OnChange: c.add})
		ratio.Execute(ctx, succeed)
		ratio.Execute(ctx, fail)

		want := []string{
			"db closed>open: consecutive failures",
			"db open>half-open: open period ended",
			"db half-open>open: probe failed",
			"db open>half-open: open period ended",
			"db half-open>closed: probes succeeded",
			"db closed>open: panic",
			"db open>half-open: open period ended",
			"db half-open>open: panic",
			"later closed>open: consecutive failures",
			"api closed>open: failure ratio",
		}
		if got := c.causes(); !slices.Equal(got, want) {
			t.Errorf("OnChange heard\n%q\nwant\n%q", got, want)
		}
		if len(plain) != 8 {
			t.Errorf("OnStateChange heard %d changes of db, want 8: %q", len(plain), plain)
		}
	})
}

// A Retry-After's hold and a registry's forced changes say so.
func TestOnChangeCausesRetryAfterAndForced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		url, _ := throttling(t, n, http.StatusServiceUnavailable, "4")
		var c changes
		var reg breaker.Registry
		client := &http.Client{Transport: &breaker.Transport{Base: n.Transport, Registry: &reg,
			Config: breaker.Config{OnChange: c.add}}}
		drain(client.Get(url))
		host := c.seen[0].Name
		reg.ForceClose(host)
		reg.ForceOpen(host, time.Now().Add(time.Minute))
		want := []string{
			host + " closed>open: retry-after",
			host + " open>closed: forced",
			host + " closed>open: forced",
		}
		if got := c.causes(); !slices.Equal(got, want) {
			t.Errorf("OnChange heard\n%q\nwant\n%q", got, want)
		}
		if !c.seen[1].Forced || c.seen[0].Forced || c.seen[0].Until.IsZero() {
			t.Errorf("changes %+v: want the Retry-After's unforced with an Until, the registry's forced", c.seen)
		}
	})
}

func TestCauseString(t *testing.T) {
	for c, want := range map[breaker.Cause]string{
		breaker.CauseUnknown: "unknown", breaker.CauseFailureRatio: "failure ratio", breaker.CauseConsecutiveFailures: "consecutive failures",
		breaker.CausePanic: "panic", breaker.CauseProbeFailed: "probe failed", breaker.CauseOpenTimeout: "open period ended",
		breaker.CauseProbesSucceeded: "probes succeeded", breaker.CauseRetryAfter: "retry-after", breaker.CauseForced: "forced",
		breaker.Cause(200): "unknown",
	} {
		if got := c.String(); got != want {
			t.Errorf("Cause(%d).String() = %q, want %q", c, got, want)
		}
	}
}
