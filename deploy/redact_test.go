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
	"unicode"

	"github.com/ybiyri/runkit/deploy"
)

// urlSecrets are the secret parts of secretURL; none may be printed.
var urlSecrets = []string{"leakuser", "leakpass", "T0SECRET", "B0SECRET", "PATHSECRET", "QUERYSECRET", "SIGSECRET", "FRAGSECRET", "hdrSECRET"}

// secretURL puts secrets everywhere a URL can hold them: the userinfo,
// path segments after the first, the query and the fragment.
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
	for _, want := range []string{"webhook sink to http://[redacted]@127.0.0.1", "/services/[redacted]?[redacted]#[redacted]",
		"answered 400 Bad Request", "stopped after 10 redirects", "connection refused", `GrafanaConfig.URL "ftp://[redacted]@grafana.internal/a/[redacted]?[redacted]"`} {
		if !strings.Contains(printed, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://grafana.example.com", "https://grafana.example.com"},
		{"https://grafana.example.com/", "https://grafana.example.com/"},
		{"https://grafana.example.com/grafana", "https://grafana.example.com/grafana"},
		{"https://grafana.example.com/grafana/", "https://grafana.example.com/grafana/"},
		{"https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/services/[redacted]"},
		{"https://admin:hunter2@grafana.internal:3000/", "https://[redacted]@grafana.internal:3000/"},
		{"https://token@git.example.com", "https://[redacted]@git.example.com"},
		{"https://h.example.com/hook?sig=abc", "https://h.example.com/hook?[redacted]"},
		{"https://h.example.com/hook#frag", "https://h.example.com/hook#[redacted]"},
		{"https://h.example.com/a%2Fb/c", "https://h.example.com/a%2Fb/[redacted]"},
		{"grafana.internal", "grafana.internal"},
		{"grafana.internal/x/y", "grafana.internal/x/[redacted]"},
		{"/services/T0/B0", "/services/[redacted]"},
		// Input that does not parse, or parses as an opaque URL, follows
		// the same rule read off the text, so that a typo stays in sight.
		{"admin:hunter2@grafana.internal", "[redacted]@grafana.internal"},
		{"grafana.internal:3000", "grafana.internal:3000"},
		{"localhost:18080/slo", "localhost:18080/slo"},
		{"localhost:18080/slo/TOKEN?sig=x#f", "localhost:18080/slo/[redacted]?[redacted]#[redacted]"},
		{"admin:hunter2", "[redacted]"},
		{"admin:hunter2/x", "[redacted]/x"},
		{"http://[::1/x", "http://[::1/x"},
		{"https://checkout.internal:80a/slo/T0", "https://[redacted]/slo/[redacted]"},
		{"https://u:p@checkout internal/slo/T0?token=x", "https://[redacted]@checkout internal/slo/[redacted]?[redacted]"},
		{"http://h/%zz/TOKEN", "http://h/%zz/[redacted]"},
		{"//u:p@h:1/a/b", "//[redacted]@h:1/a/[redacted]"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := deploy.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"https://u:p@h/a/b?q#f", "h/a", "a:b@c", "http://[::1]:80/x/y", "//u@h/p/q", "https://hooks.slack.com/services/T0/B0/XYZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := deploy.RedactURL(s)
		u, err := url.Parse(s)
		if err != nil || u.Opaque != "" || (u.Scheme == "" && u.Host == "") {
			// Read off the text: what follows ? or #, the userinfo and
			// the path after its first segment stay hidden; the scheme,
			// the host and the first segment may show.
			hidden := []string{}
			rest, frag, _ := strings.Cut(s, "#")
			rest, query, _ := strings.Cut(rest, "?")
			hidden = append(hidden, frag, query)
			kept := ""
			if i := strings.Index(rest, "://"); i > 0 {
				kept, rest = rest[:i+3], rest[i+3:]
			}
			rest = strings.TrimPrefix(rest, "//")
			authority, path, _ := strings.Cut(rest, "/")
			if i := strings.LastIndex(authority, "@"); i >= 0 {
				hidden = append(hidden, authority[:i])
				authority = authority[i+1:]
			}
			first, after, _ := strings.Cut(path, "/")
			hidden = append(hidden, after)
			kept += "@" + authority + "/" + first + "/?#"
			shown := strings.ReplaceAll(got, "[redacted]", "\x00")
			for _, part := range hidden {
				// Piece by piece: a hidden part may hold the separators
				// the output puts next to what it shows.
				for _, h := range strings.FieldsFunc(part, func(r rune) bool { return strings.ContainsRune("#?/@:&=", r) }) {
					if len(h) >= 4 && strings.ContainsFunc(h, unicode.IsLetter) && strings.Count(shown, h) > strings.Count(kept, h) {
						t.Errorf("RedactURL(%q) = %q shows %q", s, got, h)
					}
				}
			}
			return
		}
		// What is kept: the scheme, the host and the first path segment,
		// with the punctuation between them.
		first, rest, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
		kept := u.Scheme + "://@" + u.Host + "/" + first + "/?#"
		hidden := []string{rest, u.RawQuery, u.EscapedFragment()}
		if u.User != nil {
			hidden = append(hidden, u.User.String())
		}
		shown := strings.ReplaceAll(got, "[redacted]", "")
		for _, h := range hidden {
			// Parts of punctuation alone ("////") are no secret.
			if len(h) >= 4 && strings.ContainsFunc(h, unicode.IsLetter) && strings.Count(shown, h) > strings.Count(kept, h) {
				t.Errorf("RedactURL(%q) = %q shows %q", s, got, h)
			}
		}
	})
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
	if !errors.As(err, &ue) || !strings.HasPrefix(ue.URL, "https://[redacted]@hooks.example.com/services/[redacted]") {
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
