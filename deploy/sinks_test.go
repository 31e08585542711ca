package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/ybiyri/runkit/deploy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var marker = deploy.Marker{
	ID: "checkout-42", Service: "checkout", Version: "1.4.2", Revision: "abc123",
	Repository: "https://git.example.com/shop/checkout", Environment: "production",
	Start:       time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
	End:         time.Date(2026, 11, 26, 9, 5, 0, 0, time.UTC),
	Description: "new cart", URL: "https://ci.example.com/run/7",
}

// vendor is an httptest server that enforces one API's shape: method,
// path, auth header and JSON body, checked by check.
type vendor struct {
	t      *testing.T
	method string
	path   string
	header string
	value  string
	check  func(body map[string]any) error
	status atomic.Int32 // answer; 0 means 200
	hits   atomic.Int32
	mu     sync.Mutex
	bodies []map[string]any
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.hits.Add(1)
	fail := func(code int, f string, a ...any) {
		v.t.Errorf(f, a...)
		http.Error(w, fmt.Sprintf(f, a...), code)
	}
	if r.Method != v.method || r.URL.Path != v.path {
		fail(404, "request %s %s, want %s %s", r.Method, r.URL.Path, v.method, v.path)
		return
	}
	if got := r.Header.Get(v.header); got != v.value {
		fail(403, "header %s = %q, want %q", v.header, got, v.value)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		fail(415, "Content-Type %q", ct)
		return
	}
	var body map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		fail(400, "body: %v", err)
		return
	}
	if err := v.check(body); err != nil {
		fail(400, "body %v: %v", body, err)
		return
	}
	v.mu.Lock()
	v.bodies = append(v.bodies, body)
	v.mu.Unlock()
	if s := v.status.Load(); s != 0 {
		http.Error(w, `{"errors":["try later"]}`, int(s))
		return
	}
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{}`)
}

func serve(t *testing.T, v *vendor) string {
	v.t = t
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	return srv.URL
}

// fields checks body[key] for each key: a json.Number equal to an int64,
// a string, or a []string.
func fields(body map[string]any, want map[string]any) error {
	for k, w := range want {
		got, ok := body[k]
		if !ok {
			return fmt.Errorf("field %q missing", k)
		}
		switch w := w.(type) {
		case int64:
			n, ok := got.(json.Number)
			if !ok || n.String() != fmt.Sprint(w) {
				return fmt.Errorf("field %q = %#v, want the integer %d", k, got, w)
			}
		case string:
			if got != w {
				return fmt.Errorf("field %q = %#v, want %q", k, got, w)
			}
		case []string:
			list, ok := got.([]any)
			if !ok || len(list) != len(w) {
				return fmt.Errorf("field %q = %#v, want %q", k, got, w)
			}
			for i := range w {
				if list[i] != w[i] {
					return fmt.Errorf("field %q = %#v, want %q", k, got, w)
				}
			}
		}
	}
	return nil
}

func announce(t *testing.T, s deploy.Sink, err error) []deploy.Result {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	a := &deploy.Announcer{Sinks: []deploy.Sink{s}, BaseDelay: time.Millisecond}
	res, err := a.Announce(t.Context(), marker)
	if err != nil {
		t.Fatalf("Announce = %v", err)
	}
	return res
}

func TestGrafana(t *testing.T) {
	v := &vendor{method: "POST", path: "/api/annotations", header: "Authorization", value: "Bearer glsa_secret",
		check: func(b map[string]any) error {
			return fields(b, map[string]any{
				"time": marker.Start.UnixMilli(), "timeEnd": marker.End.UnixMilli(), "dashboardUID": "abc",
				"tags": []string{"deploy", "service:checkout", "team:shop", "env:production", "version:1.4.2"},
				"text": "deploy checkout 1.4.2 to production: new cart @ abc123 https://ci.example.com/run/7",
			})
		}}
	s, err := deploy.Grafana(deploy.GrafanaConfig{URL: serve(t, v) + "/", Token: "glsa_secret", Tags: []string{"team:shop"}, DashboardUID: "abc"})
	announce(t, s, err)
	if v.hits.Load() != 1 {
		t.Errorf("Grafana saw %d requests, want 1", v.hits.Load())
	}
}

func TestHoneycomb(t *testing.T) {
	v := &vendor{method: "POST", path: "/1/markers/checkout-prod", header: "X-Honeycomb-Team", value: "hcaik_secret",
		check: func(b map[string]any) error {
			return fields(b, map[string]any{
				"type": "deploy", "start_time": marker.Start.Unix(), "end_time": marker.End.Unix(),
				"url": marker.URL, "message": "deploy checkout 1.4.2 to production: new cart",
			})
		}}
	s, err := deploy.Honeycomb(deploy.HoneycombConfig{URL: serve(t, v), Key: "hcaik_secret", Dataset: "checkout-prod"})
	announce(t, s, err)
}

func TestDatadog(t *testing.T) {
	v := &vendor{method: "POST", path: "/api/v2/dora/deployment", header: "DD-API-KEY", value: "dd_secret",
		check: func(b map[string]any) error {
			data, _ := b["data"].(map[string]any)
			attrs, _ := data["attributes"].(map[string]any)
			if attrs == nil {
				return errors.New("no data.attributes")
			}
			git, _ := attrs["git"].(map[string]any)
			if err := fields(git, map[string]any{"commit_sha": "abc123", "repository_url": marker.Repository}); err != nil {
				return err
			}
			return fields(attrs, map[string]any{
				"service": "checkout", "started_at": marker.Start.UnixNano(), "finished_at": marker.End.UnixNano(),
				"env": "production", "version": "1.4.2", "id": "checkout-42",
			})
		}}
	s, err := deploy.Datadog(deploy.DatadogConfig{URL: serve(t, v), APIKey: "dd_secret"})
	announce(t, s, err)
}

func TestWebhookAndWriter(t *testing.T) {
	v := &vendor{method: "POST", path: "/hooks/deploy", header: "Idempotency-Key", value: "checkout-42",
		check: func(b map[string]any) error {
			return fields(b, map[string]any{"id": "checkout-42", "service": "checkout", "revision": "abc123",
				"start": "2026-11-26T09:00:00Z", "end": "2026-11-26T09:05:00Z"})
		}}
	s, err := deploy.Webhook(deploy.WebhookConfig{URL: serve(t, v) + "/hooks/deploy", Secrets: map[string]deploy.Secret{"X-Token": "wh_secret"}})
	announce(t, s, err)

	var buf bytes.Buffer
	announce(t, deploy.Writer(&buf), nil)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["event"] != "deployment" || line["service"] != "checkout" || !strings.HasSuffix(buf.String(), "}\n") {
		t.Errorf("writer line = %q (%v)", buf.String(), err)
	}
}

func TestRetriesBoundedAndJittered(t *testing.T) {
	v := &vendor{method: "POST", path: "/api/annotations", header: "Authorization", value: "Bearer tok",
		check: func(map[string]any) error { return nil }}
	v.status.Store(503)
	url := serve(t, v)
	s, _ := deploy.Grafana(deploy.GrafanaConfig{URL: url, Token: "tok"})
	a := &deploy.Announcer{Sinks: []deploy.Sink{s}, MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	res, err := a.Announce(t.Context(), marker)
	var he *deploy.HTTPError
	if !errors.As(err, &he) || he.Status != 503 || res[0].Attempts != 3 || v.hits.Load() != 3 {
		t.Errorf("Announce against a 503 = %v after %d attempts and %d hits, want 3 of each", err, res[0].Attempts, v.hits.Load())
	}
	// A 4xx is final: no retry.
	v.hits.Store(0)
	v.status.Store(400)
	res, _ = a.Announce(t.Context(), marker)
	if res[0].Attempts != 1 || v.hits.Load() != 1 {
		t.Errorf("a 400 was tried %d times", res[0].Attempts)
	}
}

func TestBackoffIsJittered(t *testing.T) {
	// Several announcers retrying the same failure: their waits differ.
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var times []time.Duration
		start := time.Now()
		flaky := sinkFunc(func(context.Context, deploy.Marker) error {
			mu.Lock()
			times = append(times, time.Since(start))
			mu.Unlock()
			return &deploy.HTTPError{Sink: "x", Status: 503}
		})
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				a := &deploy.Announcer{Sinks: []deploy.Sink{flaky}, MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Second}
				a.Announce(context.Background(), marker)
			})
		}
		wg.Wait()
		distinct := map[time.Duration]bool{}
		for _, d := range times {
			if d > time.Second {
				t.Errorf("a retry waited %v, more than BaseDelay 1s", d)
			}
			if d > 0 {
				distinct[d] = true
			}
		}
		if len(times) != 10 || len(distinct) < 3 {
			t.Errorf("retry times %v: want 10 attempts with spread-out retries", times)
		}
	})
}

type sinkFunc func(context.Context, deploy.Marker) error

func (f sinkFunc) Name() string                                    { return "func" }
func (f sinkFunc) Send(ctx context.Context, m deploy.Marker) error { return f(ctx, m) }

func TestNeverAnsweringSinkReturnsWithinBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := sinkFunc(func(ctx context.Context, _ deploy.Marker) error { <-ctx.Done(); return ctx.Err() })
		var buf bytes.Buffer
		var reported []deploy.Result
		a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&buf), hang},
			OnResult: func(r deploy.Result) { reported = append(reported, r) }}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		res, err := a.Announce(ctx, deploy.Marker{Service: "checkout", Version: "1.4.2"})
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("Announce returned after %v, want the 2s bound", d)
		}
		if !errors.Is(err, context.DeadlineExceeded) || res[0].Err != nil || !errors.Is(res[1].Err, context.DeadlineExceeded) {
			t.Errorf("results %+v, err %v", res, err)
		}
		if len(reported) != 2 || buf.Len() == 0 {
			t.Errorf("OnResult got %d results; writer wrote %q", len(reported), buf.String())
		}
		if res[0].Marker.ID == "" || res[0].Marker.Start.IsZero() {
			t.Errorf("marker not completed: %+v", res[0].Marker)
		}
	})
}

func TestSecretsNeverPrinted(t *testing.T) {
	const token = "s3cr3t-t0ken"
	v := &vendor{method: "POST", path: "/api/annotations", header: "Authorization", value: "Bearer " + token,
		check: func(map[string]any) error { return nil }}
	v.status.Store(500)
	cfg := deploy.GrafanaConfig{URL: serve(t, v), Token: token}
	s, _ := deploy.Grafana(cfg)
	d, _ := deploy.Datadog(deploy.DatadogConfig{URL: "http://127.0.0.1:1", APIKey: token})
	a := &deploy.Announcer{Sinks: []deploy.Sink{s, d}, MaxAttempts: 2, BaseDelay: time.Millisecond}
	_, err := a.Announce(t.Context(), marker)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "grafana", cfg, "sink", s, "err", err, "token", cfg.Token)
	printed := fmt.Sprintf("%v %+v %#v %s %v %+v %#v %q", s, s, s, cfg.Token, cfg, cfg, cfg, cfg.Token) + err.Error() + logs.String()
	if strings.Contains(printed, token) {
		t.Errorf("the token leaked:\n%s", printed)
	}
	if !strings.Contains(printed, "[redacted]") {
		t.Errorf("no placeholder shown:\n%s", printed)
	}
	jsonCfg, _ := json.Marshal(map[string]any{"url": cfg.URL, "token": cfg.Token})
	if strings.Contains(string(jsonCfg), token) {
		t.Errorf("JSON of the config leaks the token: %s", jsonCfg)
	}
}

func TestSinkConfigErrors(t *testing.T) {
	errs := []error{}
	_, err := deploy.Grafana(deploy.GrafanaConfig{Token: "x"})
	errs = append(errs, err)
	_, err = deploy.Grafana(deploy.GrafanaConfig{URL: "grafana:3000", Token: "x"})
	errs = append(errs, err)
	_, err = deploy.Grafana(deploy.GrafanaConfig{URL: "http://g"})
	errs = append(errs, err)
	_, err = deploy.Honeycomb(deploy.HoneycombConfig{})
	errs = append(errs, err)
	_, err = deploy.Datadog(deploy.DatadogConfig{})
	errs = append(errs, err)
	_, err = deploy.Webhook(deploy.WebhookConfig{URL: "ftp://x"})
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	a := &deploy.Announcer{}
	if _, err := a.Announce(t.Context(), deploy.Marker{}); err == nil || !strings.Contains(err.Error(), "Service is empty") {
		t.Errorf("Announce(no service) = %v", err)
	}
	if _, err := a.Announce(t.Context(), deploy.Marker{Service: "x", Start: marker.End, End: marker.Start}); err == nil {
		t.Error("Announce(end before start) = nil")
	}
}

func TestDatadogSite(t *testing.T) {
	for _, tt := range []struct{ site, want string }{
		{"https://datadoghq.eu", `DatadogConfig.Site "https://datadoghq.eu": want a site name such as datadoghq.eu`},
		{"datadoghq.eu/api", `DatadogConfig.Site "datadoghq.eu/api"`},
		{"datadoghq.eu:443", `DatadogConfig.Site "datadoghq.eu:443"`},
		{"datadoghq", `DatadogConfig.Site "datadoghq"`},
		{" datadoghq.eu", `DatadogConfig.Site " datadoghq.eu"`},
	} {
		if _, err := deploy.Datadog(deploy.DatadogConfig{APIKey: "k", Site: tt.site}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Datadog(Site %q) = %v, want %q", tt.site, err, tt.want)
		}
	}
	if _, err := deploy.Datadog(deploy.DatadogConfig{APIKey: "k", Site: "datadoghq.eu", URL: "https://api.datadoghq.eu"}); err == nil ||
		!strings.Contains(err.Error(), "DatadogConfig.URL and DatadogConfig.Site are both set") {
		t.Errorf("Datadog(URL and Site) = %v", err)
	}
	for _, site := range []string{"datadoghq.com", "us3.datadoghq.com", "datadoghq.eu", "ddog-gov.com", "AP1.datadoghq.com"} {
		s, err := deploy.Datadog(deploy.DatadogConfig{APIKey: "k", Site: site})
		if err != nil || fmt.Sprint(s) != "datadog sink to https://api."+site+"/api/v2/dora/deployment" {
			t.Errorf("Datadog(Site %q) = %v, %v", site, s, err)
		}
	}
}

func TestWebhookHeader(t *testing.T) {
	for _, name := range []string{"Authorization", "authorization", "Proxy-Authorization", "X-Api-Key", "X-Auth-Token", "Cookie", "X-Webhook-Secret", "X-Hub-Signature-256", "Idempotency-Key"} {
		_, err := deploy.Webhook(deploy.WebhookConfig{URL: "https://hooks.example.com/x", Header: http.Header{http.CanonicalHeaderKey(name): {"HEADERSECRET"}}})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("WebhookConfig.Header %q", http.CanonicalHeaderKey(name))) || strings.Contains(err.Error(), "HEADERSECRET") {
			t.Errorf("Webhook(Header %s) = %v, want an error naming the header and not its value", name, err)
		}
	}
	_, err := deploy.Webhook(deploy.WebhookConfig{URL: "https://hooks.example.com/x", Header: http.Header{"X-Team": {"a"}},
		Secrets: map[string]deploy.Secret{"x-team": "b"}})
	if err == nil || !strings.Contains(err.Error(), `"X-Team" is in both WebhookConfig.Header and WebhookConfig.Secrets`) {
		t.Errorf("Webhook(header in Header and Secrets) = %v", err)
	}

	// What a user may put in Header is sent, and printed redacted however
	// the config is printed.
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	cfg := deploy.WebhookConfig{URL: srv.URL + "/hook", Header: http.Header{"X-Team": {"HEADERVALUE"}}}
	s, err := deploy.Webhook(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), marker); err != nil || got.Get("X-Team") != "HEADERVALUE" || got.Get("Idempotency-Key") != "checkout-42" {
		t.Errorf("Send = %v; headers %v", err, got)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "webhook", cfg)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "webhook", cfg)
	js, _ := json.Marshal(cfg)
	printed := fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg) + string(js) + logs.String()
	if strings.Contains(printed, "HEADERVALUE") || !strings.Contains(printed, "X-Team") {
		t.Errorf("the config prints a header value, or loses its name:\n%s", printed)
	}
}

// A webhook receiver that answers 501 Not Implemented will answer it
// again: the marker is not retried, and the error shows the start of the
// server's HTML page on one line, not the page.
func TestWebhookNotImplementedIsPermanent(t *testing.T) {
	var hits atomic.Int32
	page := "<!DOCTYPE html>\n<html>\n<head><title>501 Not Implemented</title></head>\n<body>\n" +
		strings.Repeat("<p>This server does not implement the method you asked for.</p>\n", 40) + "</body>\n</html>\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotImplemented)
		io.WriteString(w, page)
	}))
	defer srv.Close()
	s, err := deploy.Webhook(deploy.WebhookConfig{URL: srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	a := &deploy.Announcer{Sinks: []deploy.Sink{s}, MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
	res, err := a.Announce(t.Context(), marker)
	var he *deploy.HTTPError
	if !errors.As(err, &he) || he.Status != 501 || res[0].Attempts != 1 || hits.Load() != 1 {
		t.Fatalf("Announce against a 501 = %v after %d attempts and %d hits, want 1 of each", err, res[0].Attempts, hits.Load())
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || len(msg) > 300 || !strings.HasPrefix(he.Body, "<!DOCTYPE html> <html> <head><title>501 Not Implemented</title>") || !strings.HasSuffix(he.Body, "…") {
		t.Errorf("error of %d bytes: %q", len(msg), msg)
	}
	for _, c := range []struct {
		status int
		temp   bool
	}{{429, true}, {500, true}, {502, true}, {503, true}, {504, true}, {501, false}, {505, false}, {511, false}, {400, false}, {404, false}} {
		if got := (&deploy.HTTPError{Status: c.status}).Temporary(); got != c.temp {
			t.Errorf("HTTPError{Status: %d}.Temporary() = %v, want %v", c.status, got, c.temp)
		}
	}
}
