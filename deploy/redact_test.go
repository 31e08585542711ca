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
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

// urlSecrets are the secret parts of secretURL; none may be printed.
var urlSecrets = []string{"leakuser", "leakpass", "T0SECRET", "B0SECRET", "PATHSECRET", "QUERYSECRET", "SIGSECRET", "FRAGSECRET", "hdrSECRET"}

// secretURL puts secrets everywhere a URL can hold them: the userinfo,
// the path, the query and the fragment.
func secretURL(base string) string {
	scheme, host, _ := strings.Cut(base, "://")
	return scheme + "://leakuser:leakpass@" + host + "/services/T0SECRET/B0SECRET/PATHSECRET?token=QUERYSECRET&sig=SIGSECRET#FRAGSECRET"
}

// echo answers every request with an error whose body repeats the
// request's URL and headers, as some vendors do.
func echo(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":"no route for %s","user":%q,"headers":%q}`, r.URL.String(), r.Header.Get("Authorization"), r.Header)
	})
}

// A token in the first segment of a webhook's path, as a Telegram bot's
// and a healthchecks ping's URLs have it, shows nowhere: not in the sink,
// its config, its errors nor the vendor's echo of the request.
func TestTokenInFirstPathSegmentNeverShows(t *testing.T) {
	vendor := httptest.NewServer(echo(http.StatusUnauthorized))
	defer vendor.Close()
	for _, tc := range []struct{ path, secret string }{
		{"/bot123456789:AAHfiqksKZ8WmR2zSjiQ7v4TMAKdiHm9T0/sendMessage", "AAHfiqksKZ8WmR2zSjiQ7v4TMAKdiHm9T0"},
		{"/eb095278-f28d-448d-87fb-7b75c171a6aa", "eb095278-f28d-448d-87fb-7b75c171a6aa"},
	} {
		cfg := deploy.WebhookConfig{URL: vendor.URL + tc.path}
		s, err := deploy.Webhook(cfg)
		if err != nil {
			t.Fatal(err)
		}
		sendErr := s.Send(t.Context(), marker)
		if sendErr == nil {
			t.Fatalf("Send to a vendor answering 401 succeeded")
		}
		var out bytes.Buffer
		for _, v := range []any{s, cfg, sendErr} {
			fmt.Fprintf(&out, "%v | %+v | %#v | %s\n", v, v, v, v)
			slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "v", v)
		}
		js, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(js)
		if strings.Contains(out.String(), tc.secret) || strings.Contains(out.String(), tc.secret[:12]) {
			t.Errorf("%s shows: %s", tc.secret, out.String())
		}
		if want := "webhook sink to " + vendor.URL + "/[redacted]"; !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q, where the sink points: %s", want, out.String())
		}
	}
}

func TestNoSecretInAnyURLLeaks(t *testing.T) {
	failing := httptest.NewServer(echo(http.StatusBadRequest))
	defer failing.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Redirects forever to another URL full of secrets: the client
		// gives up with a *url.Error naming the last one.
		http.Redirect(w, r, "/again/T0SECRET/PATHSECRET?token=QUERYSECRET", http.StatusTemporaryRedirect)
	}))
	defer redirecting.Close()
	servers := map[string]string{
		"answers 400":       failing.URL,
		"redirects forever": redirecting.URL,
		"refuses":           "http://127.0.0.1:1",
	}

	var out bytes.Buffer // every channel a user might print to
	text := slog.New(slog.NewTextHandler(&out, nil))
	js := slog.New(slog.NewJSONHandler(&out, nil))
	show := func(what string, v any) {
		fmt.Fprintf(&out, "%s: %v | %+v | %#v | %s | %q | %x\n", what, v, v, v, v, v, v)
		if s, ok := v.(fmt.Stringer); ok {
			fmt.Fprintln(&out, s.String())
		}
		if e, ok := v.(error); ok && e != nil {
			fmt.Fprintln(&out, e.Error())
		}
		text.Info(what, "v", v)
		js.Info(what, "v", v)
		b, _ := json.Marshal(v)
		out.Write(b)
		out.WriteByte('\n')
	}
	// showChain prints err and everything it wraps.
	var showChain func(string, error)
	showChain = func(what string, err error) {
		if err == nil {
			return
		}
		show(what, err)
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			showChain(what+" >", u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				showChain(what+" >", e)
			}
		}
	}

	secrets := map[string]deploy.Secret{"X-Token": "hdrSECRET"}
	for name, base := range servers {
		u := secretURL(base)
		configs := []any{
			deploy.GrafanaConfig{URL: u, Token: "hdrSECRET"},
			deploy.HoneycombConfig{URL: u, Key: "hdrSECRET"},
			deploy.DatadogConfig{URL: u, APIKey: "hdrSECRET"},
			deploy.WebhookConfig{URL: u, Secrets: secrets},
		}
		var sinks []deploy.Sink
		for _, cfg := range configs {
			var s deploy.Sink
			var err error
			switch cfg := cfg.(type) {
			case deploy.GrafanaConfig:
				s, err = deploy.Grafana(cfg)
			case deploy.HoneycombConfig:
				s, err = deploy.Honeycomb(cfg)
			case deploy.DatadogConfig:
				s, err = deploy.Datadog(cfg)
			case deploy.WebhookConfig:
				s, err = deploy.Webhook(cfg)
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			show("config", cfg)
			show("sink", s)
			fmt.Fprintln(&out, s.Name())
			sinks = append(sinks, s)
		}
		var lines bytes.Buffer // the Writer writes as OnResult does: apart
		sinks = append(sinks, deploy.Writer(&lines), deploy.OTel(deploy.OTelConfig{}))
		a := &deploy.Announcer{Sinks: sinks, MaxAttempts: 2, BaseDelay: time.Millisecond,
			OnResult: func(r deploy.Result) { show("result", r); showChain("result error", r.Err) }}
		res, err := a.Announce(t.Context(), marker)
		if err == nil {
			t.Fatalf("%s: Announce succeeded against a failing sink", name)
		}
		out.Write(lines.Bytes())
		showChain("announce error", err)
		show("results", res)
		for _, r := range res[:4] {
			if r.Err == nil {
				t.Errorf("%s: sink %s did not fail", name, r.Sink)
			}
		}
	}

	// Constructors name a bad URL without printing its secrets.
	for _, bad := range []string{
		"ftp://leakuser:leakpass@grafana.internal/a/T0SECRET?token=QUERYSECRET",
		"grafana.internal/a/T0SECRET?token=QUERYSECRET",
		"leakuser:leakpass@grafana.internal",
		"http://leakuser:leakpass@[::1/slo/PATHSECRET?token=QUERYSECRET",
		"https://leakuser:leakpass@grafana internal/a/T0SECRET#FRAGSECRET",
	} {
		_, err := deploy.Grafana(deploy.GrafanaConfig{URL: bad, Token: "hdrSECRET"})
		if err == nil {
			t.Errorf("Grafana(%s) accepted", deploy.RedactURL(bad))
			continue
		}
		showChain("config error", err)
		_, err = deploy.Webhook(deploy.WebhookConfig{URL: bad})
		showChain("config error", err)
	}

	printed := out.String()
	for _, s := range urlSecrets {
		if strings.Contains(printed, s) {
			i := strings.Index(printed, s)
			t.Errorf("%s leaked: …%s…", s, printed[max(0, i-200):min(len(printed), i+100)])
		}
	}
	// The output still says where each sink points and what went wrong.
	for _, want := range []string{"webhook sink to http://[redacted]@127.0.0.1", "/[redacted]?[redacted]#[redacted]",
		"answered 400 Bad Request", "stopped after 10 redirects", "connection refused", `GrafanaConfig.URL "ftp://[redacted]@grafana.internal/[redacted]?[redacted]"`} {
		if !strings.Contains(printed, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// roundTripFunc lets a test be the transport.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestScrubbedErrorsStillMatch(t *testing.T) {
	// A transport whose error repeats the URL, token and all, and wraps a
	// deadline.
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, fmt.Errorf("proxy refused %s: %w", r.URL, context.DeadlineExceeded)
	})}
	s, err := deploy.Webhook(deploy.WebhookConfig{URL: secretURL("https://hooks.example.com"), Client: client})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(t.Context(), marker)
	var ue *url.Error
	if !errors.As(err, &ue) || !strings.HasPrefix(ue.URL, "https://[redacted]@hooks.example.com/[redacted]") {
		t.Errorf("errors.As(*url.Error) on %v: %v", err, ue)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v is no longer context.DeadlineExceeded", err)
	}
	printed := fmt.Sprintf("%v %+v %#v", err, err, err)
	for _, secret := range urlSecrets {
		if strings.Contains(printed, secret) {
			t.Errorf("%s leaked: %s", secret, printed)
		}
	}
	if !strings.Contains(err.Error(), "proxy refused https://[redacted]") {
		t.Errorf("error %q lost what happened", err)
	}
}
