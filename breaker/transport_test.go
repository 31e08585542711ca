package breaker_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/ybiyri/runkit/breaker"
	"github.com/ybiyri/runkit/internal/pipenet"
)

// upstream is a test server whose behaviour a test switches while it runs.
type upstream struct {
	hits atomic.Int32
	// mode is what the next request gets: "ok", "fail" (500), "hang"
	// (no answer until the client goes away or the test ends), or
	// "slow" (200 after delay).
	mode    atomic.Value
	delay   time.Duration
	release chan struct{}
}

func (u *upstream) set(mode string) { u.mode.Store(mode) }

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.hits.Add(1)
	switch u.mode.Load() {
	case "fail":
		w.WriteHeader(http.StatusInternalServerError)
	case "hang":
		select {
		case <-r.Context().Done():
		case <-u.release:
		}
	case "slow":
		select {
		case <-time.After(u.delay):
			io.WriteString(w, "late")
		case <-r.Context().Done():
		}
	default:
		io.WriteString(w, "ok")
	}
}

// newUpstream serves an upstream on n in the given mode.
func newUpstream(t *testing.T, n *pipenet.Net, mode string) (*upstream, string) {
	u := &upstream{release: make(chan struct{})}
	u.set(mode)
	url := n.Serve(t, u)
	t.Cleanup(func() { close(u.release) }) // runs before the server's Close
	return u, url
}

func get(ctx context.Context, c *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return c.Do(req)
}

// drain reads a response to its end and closes it.
func drain(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// A hung upstream behind the client's own timeout is the outage a breaker
// exists for: each attempt must fail at the transport's attempt timeout,
// which runs out before the client's, and open the breaker.
func TestTransportHungUpstreamOpensBehindClientTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		up, url := newUpstream(t, n, "hang")
		var reg breaker.Registry
		client := &http.Client{
			Timeout:   15 * time.Second, // above DefaultAttemptTimeout
			Transport: &breaker.Transport{Base: n.Transport, Registry: &reg, Config: breaker.Config{ConsecutiveFailures: 3}},
		}
		for i := range 5 {
			start := time.Now()
			err := drain(client.Get(url))
			if i < 3 {
				if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, breaker.ErrOpen) {
					t.Errorf("attempt %d = %v, want the attempt's deadline", i+1, err)
				}
				if d := time.Since(start); d != 10*time.Second {
					t.Errorf("attempt %d took %v, want DefaultAttemptTimeout 10s", i+1, d)
				}
			} else if !errors.Is(err, breaker.ErrOpen) {
				t.Errorf("request %d = %v, want ErrOpen", i+1, err)
			}
		}
		if got := up.hits.Load(); got != 3 {
			t.Errorf("upstream saw %d requests, want 3 before the breaker opened", got)
		}
		if len(reg.Open()) != 1 {
			t.Errorf("open breakers %v, want the upstream's", reg.Open())
		}
	})
}

// The same with a deadline on each request instead of a client timeout.
func TestTransportHungUpstreamOpensBehindRequestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		up, url := newUpstream(t, n, "hang")
		client := &http.Client{Transport: &breaker.Transport{Base: n.Transport, Config: breaker.Config{ConsecutiveFailures: 2}}}
		for range 4 {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			drain(get(ctx, client, url))
			cancel()
		}
		if got := up.hits.Load(); got != 2 {
			t.Errorf("upstream saw %d requests, want 2 before the breaker opened", got)
		}
	})
}

// openThenProbe opens the breaker of a transport with one failure, sets the
// upstream to mode and waits out the open period; the next request is a
// probe.
func openThenProbe(t *testing.T, client *http.Client, up *upstream, url, mode string) {
	t.Helper()
	up.set("fail")
	drain(client.Get(url))
	up.set(mode)
	if err := drain(client.Get(url)); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("after a failure: %v, want the breaker open", err)
	}
	time.Sleep(13 * time.Second) // OpenTimeout 10s and at most 20% jitter
}

// With no client timeout and an upstream that never answers, probes must
// be freed at ProbeTimeout and reopen the breaker, not hold it half-open.
func TestTransportHungProbeFreedAtProbeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		up, url := newUpstream(t, n, "ok")
		var reg breaker.Registry
		client := &http.Client{Transport: &breaker.Transport{Base: n.Transport, Registry: &reg, Config: breaker.Config{
			ConsecutiveFailures: 1, OpenTimeout: 10 * time.Second, HalfOpenProbes: 3, ProbeTimeout: 300 * time.Millisecond,
		}}}
		openThenProbe(t, client, up, url, "hang")
		type result struct {
			err     error
			elapsed time.Duration
		}
		results := make(chan result, 3)
		for range 3 {
			go func() {
				start := time.Now()
				err := drain(client.Get(url))
				results <- result{err, time.Since(start)}
			}()
		}
		time.Sleep(time.Second)
		for i := range 3 {
			select {
			case r := <-results:
				if r.err == nil || errors.Is(r.err, breaker.ErrOpen) || r.elapsed != 300*time.Millisecond {
					t.Errorf("probe = %v after %v, want its deadline at 300ms", r.err, r.elapsed)
				}
			default:
				t.Fatalf("%d of 3 probes still hung a second after ProbeTimeout", 3-i)
			}
		}
		if len(reg.Open()) != 1 {
			t.Errorf("after hung probes: open breakers %v, want the upstream's", reg.Open())
		}
		err := drain(client.Get(url))
		var oe *breaker.OpenError
		if !errors.As(err, &oe) || oe.Probing || oe.Until.IsZero() {
			t.Errorf("request after the probes = %v, want open with a next try, not probing", err)
		}
	})
}

// An upstream that answers a probe after ProbeTimeout does not close the
// breaker: the probe is freed at the deadline and reopens it.
func TestTransportLateProbeAnswerReopens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		up, url := newUpstream(t, n, "ok")
		up.delay = 3 * time.Second
		var reg breaker.Registry
		client := &http.Client{Transport: &breaker.Transport{Base: n.Transport, Registry: &reg, Config: breaker.Config{
			ConsecutiveFailures: 1, OpenTimeout: 10 * time.Second, HalfOpenProbes: 1, ProbeTimeout: 300 * time.Millisecond,
		}}}
		openThenProbe(t, client, up, url, "slow")
		start := time.Now()
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			t.Errorf("late probe answered %d after %v, want an error at 300ms", resp.StatusCode, time.Since(start))
		} else if d := time.Since(start); d != 300*time.Millisecond {
			t.Errorf("late probe failed after %v, want 300ms", d)
		}
		if len(reg.Open()) != 1 {
			t.Errorf("after a late probe: open breakers %v, want the upstream's", reg.Open())
		}
	})
}

// A probe's deadline covers the response headers, not the reading of its
// body: a slow stream after a quick answer is read to its end.
func TestTransportProbeStreamNotCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		const chunks = 5
		streamURL := n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for range chunks {
				io.WriteString(w, "chunk\n")
				w.(http.Flusher).Flush()
				time.Sleep(time.Second)
			}
		}))
		var reg breaker.Registry
		tr := &breaker.Transport{Base: n.Transport, Registry: &reg, Config: breaker.Config{
			ConsecutiveFailures: 1, OpenTimeout: 10 * time.Second, HalfOpenProbes: 1, ProbeTimeout: 300 * time.Millisecond,
		}}
		client := &http.Client{Transport: tr}
		// Open the stream host's breaker through a failing attempt.
		tr.Base = failOnce{n.Transport}
		drain(client.Get(streamURL))
		tr.Base = n.Transport
		time.Sleep(13 * time.Second)
		resp, err := client.Get(streamURL)
		if err != nil {
			t.Fatalf("probe = %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != strings.Repeat("chunk\n", chunks) {
			t.Errorf("streamed body = %q, %v; want %d chunks read over %ds", b, err, chunks, chunks)
		}
		if len(reg.Open()) != 0 {
			t.Errorf("after a good probe: open breakers %v, want none", reg.Open())
		}
	})
}

// failOnce fails every request with a 500 without sending it.
type failOnce struct{ http.RoundTripper }

func (failOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: 500, Body: http.NoBody, Request: r}, nil
}

// A dependency merely slower than impatient callers is not failing: a storm
// of callers giving up at 5ms on an upstream answering in 50ms, within the
// attempt timeout, leaves the breaker closed.
func TestTransportImpatientCallersNeverOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		up, url := newUpstream(t, n, "slow")
		up.delay = 50 * time.Millisecond
		var reg breaker.Registry
		client := &http.Client{Transport: &breaker.Transport{Base: n.Transport, Registry: &reg,
			Config: breaker.Config{ConsecutiveFailures: 3, MinCalls: 5}}}
		const callers = 1000
		var wg sync.WaitGroup
		var gaveUp atomic.Int32
		for range callers {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
				defer cancel()
				if err := drain(get(ctx, client, url)); errors.Is(err, context.DeadlineExceeded) {
					gaveUp.Add(1)
				}
			})
		}
		wg.Wait()
		if gaveUp.Load() != callers || len(reg.Open()) != 0 {
			t.Errorf("%d of %d callers gave up; open breakers %v; want all to give up and none open", gaveUp.Load(), callers, reg.Open())
		}
		if err := drain(get(t.Context(), client, url)); err != nil {
			t.Errorf("a patient caller after the storm = %v", err)
		}
	})
}

// ctxRecorder is a Base that remembers the context of the last request it
// sent.
type ctxRecorder struct {
	http.RoundTripper
	mu  sync.Mutex
	ctx context.Context
}

func (c *ctxRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.ctx = r.Context()
	c.mu.Unlock()
	return c.RoundTripper.RoundTrip(r)
}

func (c *ctxRecorder) last() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// The attempt's context lives while the body is read and is released when
// it is read to the end or closed.
func TestTransportReleasesAttemptWithBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		_, url := newUpstream(t, n, "ok")
		rec := &ctxRecorder{RoundTripper: n.Transport}
		client := &http.Client{Transport: &breaker.Transport{Base: rec}}

		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.last().Err(); err != nil {
			t.Fatalf("attempt context ended before the body was read: %v", err)
		}
		io.ReadAll(resp.Body)
		if rec.last().Err() == nil {
			t.Error("attempt context still live after the body was read to EOF")
		}
		resp.Body.Close()

		resp, err = client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if rec.last().Err() == nil {
			t.Error("attempt context still live after the body was closed unread")
		}
	})
}

// closeRecorder is a request body that records being closed.
type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error { c.closed.Store(true); return nil }

func newBody() *closeRecorder { return &closeRecorder{Reader: strings.NewReader("payload")} }

// rtFunc is a RoundTripper from a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The RoundTripper contract: the request body is closed, even on errors.
func TestTransportClosesBodyOnEarlyReturn(t *testing.T) {
	post := func(rt http.RoundTripper, ctx context.Context) (error, bool) {
		body := newBody()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://api.test/", body)
		resp, err := rt.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return err, body.closed.Load()
	}
	open := &breaker.Transport{Base: answer(500), Config: breaker.Config{ConsecutiveFailures: 1}}
	post(open, t.Context())
	if err, closed := post(open, t.Context()); !errors.Is(err, breaker.ErrOpen) || !closed {
		t.Errorf("open breaker: %v, body closed %v; want ErrOpen and the body closed", err, closed)
	}

	waiting := &breaker.Transport{Base: rtFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"60"}}, Body: http.NoBody, Request: r}, nil
	})}
	post(waiting, t.Context())
	if err, closed := post(waiting, t.Context()); !errors.Is(err, breaker.ErrOpen) || !closed {
		t.Errorf("within Retry-After: %v, body closed %v; want ErrOpen and the body closed", err, closed)
	}

	limited := &breaker.Transport{Base: answer(200), Limiter: rate.NewLimiter(rate.Every(time.Hour), 1)}
	post(limited, t.Context())
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err, closed := post(limited, ctx); err == nil || !closed {
		t.Errorf("over the limiter: %v, body closed %v; want an error and the body closed", err, closed)
	}

	invalid := &breaker.Transport{Base: answer(200), Config: breaker.Config{FailureRatio: 2}}
	if err, closed := post(invalid, t.Context()); err == nil || !closed {
		t.Errorf("invalid config: %v, body closed %v; want an error and the body closed", err, closed)
	}
}

// http.Client.CloseIdleConnections reaches the transport under Retry and
// Transport.
func TestCloseIdleConnectionsForwarded(t *testing.T) {
	closed := make(chan struct{}, 1)
	url, _ := answering(t, http.StatusOK, "")
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: &breaker.Retry{Base: &breaker.Transport{Base: connWatch{base, closed}}}}
	if err := drain(client.Get(url)); err != nil {
		t.Fatal(err)
	}
	client.CloseIdleConnections()
	select {
	case <-closed:
	default:
		t.Error("CloseIdleConnections did not reach the base transport")
	}
}

// connWatch reports CloseIdleConnections.
type connWatch struct {
	*http.Transport
	closed chan struct{}
}

func (c connWatch) CloseIdleConnections() {
	c.Transport.CloseIdleConnections()
	c.closed <- struct{}{}
}

// The same outage against a real server on loopback, as a service meets
// it: the attempt timeout, below the client's, opens the breaker.
func TestTransportHungUpstreamRealServer(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &breaker.Transport{
		Base: base, AttemptTimeout: 100 * time.Millisecond, Config: breaker.Config{ConsecutiveFailures: 3},
	}}
	for i := range 5 {
		_, err := client.Get(srv.URL)
		var te *breaker.TimeoutError
		var ue *url.Error
		switch {
		case i < 3 && (!errors.As(err, &te) || te.After != 100*time.Millisecond || te.Probe || !errors.As(err, &ue) || !ue.Timeout()):
			t.Errorf("attempt %d = %v, want a TimeoutError after 100ms that the client reports as a timeout", i+1, err)
		case i >= 3 && !errors.Is(err, breaker.ErrOpen):
			t.Errorf("request %d = %v, want ErrOpen", i+1, err)
		}
	}
	if hits.Load() != 3 {
		t.Errorf("server saw %d requests, want 3", hits.Load())
	}
}

func TestTimeoutErrorText(t *testing.T) {
	for e, want := range map[*breaker.TimeoutError]string{
		{Name: "api:443", After: time.Second}:                         `breaker "api:443": attempt got no response within 1s`,
		{Name: "api:443", After: 300 * time.Millisecond, Probe: true}: `breaker "api:443": half-open probe got no response within 300ms`,
	} {
		if e.Error() != want || !errors.Is(e, context.DeadlineExceeded) || !e.Timeout() {
			t.Errorf("%#v: %q, want %q matching DeadlineExceeded", e, e.Error(), want)
		}
	}
}

// With AttemptTimeout off, a hung host is left to the caller's deadline,
// which does not count: the breaker stays closed.
func TestTransportAttemptTimeoutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		up, url := newUpstream(t, n, "hang")
		var reg breaker.Registry
		client := &http.Client{Timeout: time.Minute, Transport: &breaker.Transport{Base: n.Transport, Registry: &reg,
			AttemptTimeout: -1, Config: breaker.Config{ConsecutiveFailures: 1}}}
		start := time.Now()
		for range 3 {
			drain(client.Get(url))
		}
		if d := time.Since(start); d != 3*time.Minute || up.hits.Load() != 3 || len(reg.Open()) != 0 {
			t.Errorf("3 requests took %v, %d reached the host, open %v; want 3m, 3, none", d, up.hits.Load(), reg.Open())
		}
	})
}

// Transport.Classify sees the status: here a 404 from this API is a
// failure and a 503 is not.
func TestTransportClassify(t *testing.T) {
	var asked atomic.Int32
	classify := func(resp *http.Response, err error) breaker.Outcome {
		asked.Add(1)
		switch {
		case resp != nil && resp.StatusCode == http.StatusNotFound:
			return breaker.Failure
		case resp != nil && resp.StatusCode == http.StatusServiceUnavailable:
			return breaker.Success
		case err != nil:
			return breaker.Ignore
		}
		return breaker.DefaultHTTPClassify(resp, err)
	}
	notFound, nfHits := answering(t, http.StatusNotFound, "")
	unavailable, unHits := answering(t, http.StatusServiceUnavailable, "")
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: &breaker.Transport{Base: base, Classify: classify, Config: breaker.Config{ConsecutiveFailures: 2}}}
	for range 4 {
		drain(client.Get(notFound))
		drain(client.Get(unavailable))
	}
	if nfHits.Load() != 2 || unHits.Load() != 4 {
		t.Errorf("hits: 404 host %d (want 2, then open), 503 host %d (want 4)", nfHits.Load(), unHits.Load())
	}
	// Errors reach Classify too: refused connections, classified as
	// ignored, open nothing.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for range 4 {
		if err := drain(client.Get(deadURL)); err == nil || errors.Is(err, breaker.ErrOpen) {
			t.Errorf("request to a closed port = %v, want its connection error", err)
		}
	}
	// A caller who gave up is ignored before Classify is asked.
	before := asked.Load()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	drain(get(ctx, client, notFound))
	if asked.Load() != before {
		t.Error("Classify was asked about a request its caller had cancelled")
	}
}

func TestDefaultHTTPClassify(t *testing.T) {
	for code, want := range map[int]breaker.Outcome{200: breaker.Success, 301: breaker.Success, 404: breaker.Success, 429: breaker.Failure, 500: breaker.Failure, 503: breaker.Failure} {
		if got := breaker.DefaultHTTPClassify(&http.Response{StatusCode: code}, nil); got != want {
			t.Errorf("DefaultHTTPClassify(%d) = %v, want %v", code, got, want)
		}
	}
	if got := breaker.DefaultHTTPClassify(nil, errors.New("connection reset")); got != breaker.Failure {
		t.Errorf("DefaultHTTPClassify(error) = %v, want Failure", got)
	}
}

func TestTransportValidation(t *testing.T) {
	for _, tt := range []struct {
		tr   *breaker.Transport
		want string
	}{
		{&breaker.Transport{MaxHosts: -1}, "Transport.MaxHosts -1 is negative"},
		{&breaker.Transport{Config: breaker.Config{Classify: breaker.DefaultClassify}}, "set Transport.Classify"},
		{&breaker.Transport{Config: breaker.Config{Jitter: 3}}, "breaker: Transport.Config.Jitter 3 out of range [0, 1]"},
		{&breaker.Transport{Config: breaker.Config{HalfOpenProbes: 1 << 40}}, "breaker: Transport.Config.HalfOpenProbes 1099511627776 over 4294967295"},
		{&breaker.Transport{Config: breaker.Config{FailureRatio: -1, ConsecutiveFailures: -1}}, "Transport.Config.FailureRatio -1 and Transport.Config.ConsecutiveFailures -1 are both off"},
		{&breaker.Transport{Config: breaker.Config{Window: 5}}, "Transport.Config.Window 5ns is too short for Transport.Config.Buckets 10"},
	} {
		tt.tr.Base = answer(200)
		req, _ := http.NewRequest("GET", "http://api.test/", nil)
		if _, err := tt.tr.RoundTrip(req); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("RoundTrip = %v, want %q", err, tt.want)
		}
	}
}

// A response that switches protocols keeps a body that can be written.
func TestTransportSwitchingProtocols(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		rw.WriteString(line)
		rw.Flush()
	}))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := (&http.Client{Transport: &breaker.Transport{Base: base}}).Do(req)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade = %v, %v", resp, err)
	}
	defer resp.Body.Close()
	rw, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("body %T of a 101 response cannot be written", resp.Body)
	}
	io.WriteString(rw, "hello\n")
	got := make([]byte, 6)
	if _, err := io.ReadFull(rw, got); err != nil || string(got) != "hello\n" {
		t.Errorf("echo = %q, %v", got, err)
	}
}

// The package doc's client, against a hung upstream: each request ends at
// the upstream's deadline, never the caller's, and the breaker opens.
func TestDocClientHungUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := pipenet.New(t)
		up, url := newUpstream(t, n, "hang")
		var reg breaker.Registry
		client := &http.Client{
			Timeout: 2 * time.Second,
			Transport: &breaker.Retry{Base: &breaker.Transport{
				AttemptTimeout: 500 * time.Millisecond,
				Base:           n.Transport, Registry: &reg,
			}},
		}
		for i := range 20 {
			err := drain(client.Get(url))
			var te *breaker.TimeoutError
			if !errors.As(err, &te) && !errors.Is(err, breaker.ErrOpen) {
				t.Fatalf("request %d = %v, want the attempt's timeout or ErrOpen, not the caller's", i+1, err)
			}
		}
		if len(reg.Open()) != 1 || up.hits.Load() != breaker.DefaultConsecutiveFailures {
			t.Errorf("open breakers %v after %d attempts, want the upstream's after %d", reg.Open(), up.hits.Load(), breaker.DefaultConsecutiveFailures)
		}
	})
}
