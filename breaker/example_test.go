package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ybiyri/runkit/breaker"
)

func ExampleNew() {
	b, err := breaker.New[string](breaker.Config{Name: "payments"})
	fmt.Println(b.State(), err)
	_, err = breaker.New[string](breaker.Config{Name: "payments", FailureRatio: 2})
	fmt.Println(err)
	// Output:
	// closed <nil>
	// breaker "payments": FailureRatio 2 out of range (0, 1]
}

func ExampleBreaker_Execute() {
	b, _ := breaker.New[string](breaker.Config{Name: "payments", ConsecutiveFailures: 2})
	charge := func(ctx context.Context) (string, error) { return "", errors.New("503 from payments") }

	// The caller giving up is not the dependency failing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Execute(ctx, func(ctx context.Context) (string, error) { return "", ctx.Err() })
	fmt.Println(b.State())

	b.Execute(context.Background(), charge)
	b.Execute(context.Background(), charge)
	_, err := b.Execute(context.Background(), charge)
	fmt.Println(b.State(), errors.Is(err, breaker.ErrOpen))
	// Output:
	// closed
	// open true
}

func ExampleTransport() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer upstream.Close()

	client := &http.Client{Transport: &breaker.Retry{
		BaseDelay: time.Millisecond,
		Base:      &breaker.Transport{Config: breaker.Config{ConsecutiveFailures: 3}},
	}}
	// 500 is not retried (only 429, 502, 503 and 504 are); three of them
	// open the host's breaker, and the fourth request is not sent.
	for range 4 {
		resp, err := client.Get(upstream.URL)
		if err != nil {
			fmt.Println(errors.Is(err, breaker.ErrOpen))
			continue
		}
		fmt.Println(resp.StatusCode)
		resp.Body.Close()
	}
	// Output:
	// 500
	// 500
	// 500
	// true
}

func ExampleRetry() {
	calls := 0
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer flaky.Close()
	client := &http.Client{Transport: &breaker.Retry{BaseDelay: time.Millisecond}}
	resp, _ := client.Get(flaky.URL)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, calls)
	// Output: 200 2
}

func ExampleRateLimit() {
	shed, _ := breaker.RateLimit(breaker.RateLimitConfig{Rate: 1, Burst: 1})
	h := shed(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		fmt.Printf("%d Retry-After=%q\n", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Output:
	// 200 Retry-After=""
	// 429 Retry-After="1"
}

func ExampleRegistry_Check() {
	var reg breaker.Registry
	b, _ := breaker.New[int](breaker.Config{Name: "search", ConsecutiveFailures: 1})
	reg.Add(b)
	b.Execute(context.Background(), func(context.Context) (int, error) { return 0, errors.New("down") })
	// registry.Check is a health check Func: register it as non-critical.
	fmt.Println(reg.Check(context.Background()))
	// Output: open circuit breakers: search
}

// A Retry-After opens the host's breaker until then, capped by
// MaxRetryAfter, and the registry shows it.
func ExampleTransport_retryAfter() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "86400") // a day
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer upstream.Close()

	var reg breaker.Registry
	client := &http.Client{Transport: &breaker.Transport{Registry: &reg, MaxRetryAfter: time.Minute}}
	resp, _ := client.Get(upstream.URL)
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	_, err := client.Get(upstream.URL)
	var oe *breaker.OpenError
	fmt.Println(errors.As(err, &oe), time.Until(oe.Until).Round(time.Minute))
	fmt.Println(len(reg.Open()), reg.Check(context.Background()) != nil)
	// Output:
	// 503
	// true 1m0s
	// 1 true
}

func ExampleRetryAfter() {
	resp := &http.Response{Header: http.Header{"Retry-After": {"120"}}}
	d, ok := breaker.RetryAfter(resp, time.Now())
	fmt.Println(d, ok)
	// Output: 2m0s true
}

func ExampleState() {
	b, _ := breaker.New[int](breaker.Config{Name: "search", ConsecutiveFailures: 1})
	fmt.Println(b.State())
	b.Execute(context.Background(), func(context.Context) (int, error) { return 0, errors.New("down") })
	fmt.Println(b.State(), int(b.State()))
	// Output:
	// closed
	// open 2
}

func ExampleConfig() {
	// Zero fields take their defaults; a negative one turns a feature off.
	b, _ := breaker.New[int](breaker.Config{Name: "ledger", OpenTimeout: time.Minute, Jitter: -1})
	fmt.Println(b.Timeout())
	_, err := breaker.New[int](breaker.Config{Name: "ledger", OpenTimeout: -1})
	fmt.Println(err)
	// Output:
	// 1m0s
	// breaker "ledger": OpenTimeout -1ns is negative; it cannot be off
}

// A service checks its breaker settings at start, before it serves.
func ExampleConfig_Validate() {
	fmt.Println(breaker.Config{OpenTimeout: 30 * time.Second}.Validate())
	fmt.Println(breaker.Config{OpenTimeout: 30}.Validate()) // the unit forgotten
	// Output:
	// <nil>
	// breaker: OpenTimeout 30ns is under the minimum 1ms: a number without a unit is nanoseconds; for 30ms write 30 * time.Millisecond
}

// The client's transport checked at start: the first request would
// otherwise return the same error, for every request, sending nothing.
func ExampleTransport_Validate() {
	var breakers breaker.Registry
	fmt.Println((&breaker.Transport{AttemptTimeout: 500 * time.Millisecond, Registry: &breakers}).Validate())
	fmt.Println((&breaker.Transport{AttemptTimeout: 500, Registry: &breakers}).Validate())
	fmt.Println((&breaker.Transport{Config: breaker.Config{ProbeTimeout: 100 * time.Microsecond}}).Validate())
	// Output:
	// <nil>
	// breaker: Transport.AttemptTimeout 500ns is under the minimum 1ms: a number without a unit is nanoseconds; for 500ms write 500 * time.Millisecond
	// breaker: Transport.Config.ProbeTimeout 100µs is under the minimum 1ms
}

func ExampleRetry_Validate() {
	fmt.Println((&breaker.Retry{Base: &breaker.Transport{}, BaseDelay: 50 * time.Millisecond}).Validate())
	fmt.Println((&breaker.Retry{BaseDelay: 50}).Validate())
	fmt.Println((&breaker.Retry{MaxAttempts: -1, MaxElapsed: -1}).Validate())
	// Its Base is checked too: a Transport's fields.
	fmt.Println((&breaker.Retry{Base: &breaker.Transport{MaxRetryAfter: 5}}).Validate())
	// Output:
	// <nil>
	// breaker: Retry.BaseDelay 50ns is under the minimum 1ms: a number without a unit is nanoseconds; for 50ms write 50 * time.Millisecond
	// breaker: Retry.MaxAttempts -1 and Retry.MaxElapsed -1ns are both off: a request could be retried forever
	// breaker: Transport.MaxRetryAfter 5ns is under the minimum 1ms: a number without a unit is nanoseconds; for 5ms write 5 * time.Millisecond
}

func ExampleTimeoutError() {
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer hung.Close()

	client := &http.Client{
		Timeout: 5 * time.Second, // the caller's deadline
		Transport: &breaker.Transport{
			AttemptTimeout: 50 * time.Millisecond, // the upstream's: a failure
			Config:         breaker.Config{ConsecutiveFailures: 2},
		},
	}
	for range 3 {
		_, err := client.Get(hung.URL)
		var te *breaker.TimeoutError
		switch {
		case errors.As(err, &te):
			fmt.Println("no response within", te.After)
		case errors.Is(err, breaker.ErrOpen):
			fmt.Println("open: not sent")
		}
	}
	// Output:
	// no response within 50ms
	// no response within 50ms
	// open: not sent
}

func ExampleDefaultHTTPClassify() {
	// This API answers 404 when its index is lost: count it as a failure.
	classify := func(resp *http.Response, err error) breaker.Outcome {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return breaker.Failure
		}
		return breaker.DefaultHTTPClassify(resp, err)
	}
	api := httptest.NewServer(http.NotFoundHandler())
	defer api.Close()
	client := &http.Client{Transport: &breaker.Transport{Classify: classify, Config: breaker.Config{ConsecutiveFailures: 2}}}
	for range 3 {
		resp, err := client.Get(api.URL)
		if err != nil {
			fmt.Println(errors.Is(err, breaker.ErrOpen))
			continue
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// 404
	// 404
	// true
}

// printLink is a Link that prints what it is told and lets every probe go.
type printLink struct{}

func (printLink) Add(name string)    { fmt.Println("add", name) }
func (printLink) Remove(name string) { fmt.Println("remove", name) }
func (printLink) Changed(c breaker.Change) {
	fmt.Printf("%s: %v -> %v (forced %v)\n", c.Name, c.From, c.To, c.Forced)
}
func (printLink) Probe(string) bool { return true }

// A Link hears of a registry's breakers and their changes; what another
// replica found comes back through ForceOpen and ForceClose.
func ExampleRegistry_SetLink() {
	var reg breaker.Registry
	reg.SetLink(printLink{})
	b, _ := breaker.New[string](breaker.Config{Name: "payments", ConsecutiveFailures: 1})
	reg.Add(b)

	reg.ForceOpen("payments", time.Now().Add(time.Minute)) // another replica's breaker opened
	_, err := b.Execute(context.Background(), func(context.Context) (string, error) { return "charged", nil })
	fmt.Println(errors.Is(err, breaker.ErrOpen))
	reg.ForceClose("payments") // another replica's probes closed it

	b.Execute(context.Background(), func(context.Context) (string, error) { return "", errors.New("503") })
	reg.Remove("payments")

	// A registry has one link.
	fmt.Println(errors.Is(reg.SetLink(&printLink{}), breaker.ErrLinked))
	fmt.Println(reg.Unlink(printLink{}), reg.Link())
	// Output:
	// add payments
	// payments: closed -> open (forced true)
	// true
	// payments: open -> closed (forced true)
	// payments: closed -> open (forced false)
	// remove payments
	// true
	// true <nil>
}

// Add refuses a nil breaker, such as New returns with its error.
func ExampleRegistry_Add() {
	var reg breaker.Registry
	b, err := breaker.New[string](breaker.Config{Name: "payments", HalfOpenProbes: 1 << 40})
	fmt.Println(err)
	fmt.Println(reg.Add(b))
	// Output:
	// breaker "payments": HalfOpenProbes 1099511627776 over 4294967295
	// breaker: Registry.Add(*breaker.Breaker[string](nil)): no breaker to add
}

// Lookup finds a registered breaker by name; Config shows how New
// resolved its zero fields.
func ExampleRegistry_Lookup() {
	var reg breaker.Registry
	b, _ := breaker.New[string](breaker.Config{Name: "payments", Jitter: -1})
	reg.Add(b)
	s, ok := reg.Lookup("payments")
	fmt.Println(ok, s.State())
	if c, ok := s.(interface{ Config() breaker.Config }); ok {
		fmt.Println(c.Config().OpenTimeout, c.Config().Jitter)
	}
	_, ok = reg.Lookup("inventory")
	fmt.Println(ok)
	// Output:
	// true closed
	// 30s -1
	// false
}

// notifyLink is a Link that runs the callbacks of the changes it forces
// itself; a real one runs them on a goroutine of its own.
type notifyLink struct {
	printLink
	queued []func()
}

func (l *notifyLink) Notify(deliver func()) { l.queued = append(l.queued, deliver) }

// A Notifier link takes the callbacks of the changes it forces off the
// goroutine that forces them: the breaker opens at once, and its
// OnStateChange runs when the link delivers it.
func ExampleNotifier() {
	var reg breaker.Registry
	l := &notifyLink{}
	reg.SetLink(l)
	b, _ := breaker.New[string](breaker.Config{Name: "payments",
		OnStateChange: func(name string, from, to breaker.State) { fmt.Println("OnStateChange:", from, "->", to) }})
	reg.Add(b)

	reg.ForceOpen("payments", time.Now().Add(time.Minute))
	fmt.Println("deliveries waiting:", len(l.queued))
	for _, deliver := range l.queued {
		deliver() // on the link's own goroutine, in a real link
	}
	fmt.Println("open:", reg.Open())
	// Output:
	// add payments
	// deliveries waiting: 1
	// OnStateChange: closed -> open
	// payments: closed -> open (forced true)
	// open: [payments]
}
