package redact

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://collector:4318", "http://collector:4318"},
		{"http://collector:4318/otlp", "http://collector:4318/[redacted]"},
		{"http://collector:4318/otlp/TOKEN/v1/traces", "http://collector:4318/[redacted]/v1/traces"},
		{"https://u:p@h/?k=SECRET", "https://[redacted]@h/?[redacted]"},
		{"https://h/#frag", "https://h/#[redacted]"},
		{"https://grafana.example.com", "https://grafana.example.com"},
		{"https://grafana.example.com/", "https://grafana.example.com/"},
		{"https://grafana.example.com/grafana", "https://grafana.example.com/[redacted]"},
		{"https://grafana.example.com/grafana/", "https://grafana.example.com/[redacted]"},
		{"https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/[redacted]"},
		{"https://admin:hunter2@grafana.internal:3000/", "https://[redacted]@grafana.internal:3000/"},
		{"https://token@git.example.com", "https://[redacted]@git.example.com"},
		{"https://h.example.com/hook?sig=abc", "https://h.example.com/[redacted]?[redacted]"},
		{"https://h.example.com/hook#frag", "https://h.example.com/[redacted]#[redacted]"},
		{"https://h.example.com/a%2Fb/c", "https://h.example.com/[redacted]"},
		{"grafana.internal", "grafana.internal"},
		{"grafana.internal/x/y", "grafana.internal/[redacted]"},
		{"/services/T0/B0", "/[redacted]"},
		// Input that does not parse, or parses as an opaque URL, follows
		// the same rule read off the text, so that a typo stays in sight.
		{"admin:hunter2@grafana.internal", "[redacted]@grafana.internal"},
		{"admin:hunter2", "[redacted]"},
		{"localhost:4318/otlp/TOKEN", "localhost:4318/[redacted]"},
		{"http://[::1/x", "http://[::1/[redacted]"},
		{"grafana.internal:3000", "grafana.internal:3000"},
		{"localhost:18080/slo", "localhost:18080/slo"},
		{"localhost:18080/slo/TOKEN?sig=x#f", "localhost:18080/[redacted]?[redacted]#[redacted]"},
		{"admin:hunter2/x", "[redacted]/[redacted]"},
		{"https://checkout.internal:80a/slo/T0", "https://[redacted]/[redacted]"},
		{"https://u:p@checkout internal/slo/T0?token=x", "https://[redacted]@checkout internal/[redacted]?[redacted]"},
		{"http://h/%zz/TOKEN", "http://h/[redacted]"},
		{"//u:p@h:1/a/b", "//[redacted]@h:1/[redacted]"},
		{"", ""},
		// No segment of a path says it holds no secret: a token in the
		// first is hidden as one in the last.
		{"https://api.telegram.org/bot123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0/sendMessage", "https://api.telegram.org/[redacted]"},
		{"https://hc-ping.com/eb095278-f28d-448d-87fb-7b75c171a6aa", "https://hc-ping.com/[redacted]"},
		{"https://hc-ping.com/eb095278-f28d-448d-87fb-7b75c171a6aa/fail", "https://hc-ping.com/[redacted]"},
		{"https://hooks.example.com/T0KEN/", "https://hooks.example.com/[redacted]"},
		// runkit's own API paths show, after whatever precedes them.
		{"https://grafana.example.com/api/annotations", "https://grafana.example.com/api/annotations"},
		{"https://grafana.example.com/grafana/api/annotations?x=1", "https://grafana.example.com/[redacted]/api/annotations?[redacted]"},
		{"https://api.datadoghq.com/api/v2/dora/deployment", "https://api.datadoghq.com/api/v2/dora/deployment"},
		{"https://api.honeycomb.io/1/markers/checkout", "https://api.honeycomb.io/1/markers/checkout"},
		{"https://api.honeycomb.io/1/markers/", "https://api.honeycomb.io/[redacted]"},
		{"https://api.honeycomb.io/1/markers/a/b", "https://api.honeycomb.io/[redacted]"},
		{"https://h.example.com/T0KEN/1/markers/checkout", "https://h.example.com/[redacted]/1/markers/checkout"},
		{"http://collector:4318/v1/traces", "http://collector:4318/v1/traces"},
		{"http://collector:4318/v1/metrics", "http://collector:4318/v1/metrics"},
		{"http://collector:4318/v1/logs", "http://collector:4318/v1/logs"},
		{"https://checkout.internal/slo", "https://checkout.internal/slo"},
		{"localhost:18080/slo", "localhost:18080/slo"},
		{"https://u:p@checkout.internal/T0KEN/slo", "https://[redacted]@checkout.internal/[redacted]/slo"},
		{"http://127.0.0.1:8080/events", "http://127.0.0.1:8080/events"},
		{"https://h.example.com/T0KEN/events?since=1h", "https://h.example.com/[redacted]/events?[redacted]"},
		// Only a whole known path at the end: a look-alike is a path like
		// any other.
		{"https://h.example.com/slo/T0KEN", "https://h.example.com/[redacted]"},
		{"https://h.example.com/xslo", "https://h.example.com/[redacted]"},
		{"https://h.example.com/T0KEN//slo", "https://h.example.com/[redacted]"},
		{"https://h.example.com/api/annotations/T0KEN", "https://h.example.com/[redacted]"},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubber(t *testing.T) {
	s := Join(NewScrubber("https://user:pa55word@h/hook/T0KEN?sig=abcd"), NewScrubber("", "api-key-1"))
	in := "user:pa55word T0KEN sig=abcd api-key-1 hook h"
	if got, want := s.Text(in), "[redacted] [redacted] [redacted] [redacted] [redacted] h"; got != want {
		t.Errorf("Text(%q) = %q, want %q", in, got, want)
	}
	err := fmt.Errorf("post T0KEN: %w", context.DeadlineExceeded)
	got := s.Error(err)
	if strings.Contains(fmt.Sprintf("%v %+v %#v", got, got, got), "T0KEN") || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("Error(%v) = %#v, want the token hidden and errors.Is kept", err, got)
	}
	ue := &url.Error{Op: "Post", URL: "https://h/hook/T0KEN", Err: errors.New("refused")}
	var back *url.Error
	if got := s.Error(ue); !errors.As(got, &back) || back.URL != "https://h/[redacted]" {
		t.Errorf("Error(%v) = %v, want a *url.Error with its URL redacted", ue, got)
	}
	if s.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	plain := errors.New("connection refused")
	if s.Error(plain) != plain {
		t.Error("an error with nothing to hide was replaced")
	}
}

// Every segment URL hides is hidden in free text too: a vendor's answer
// that echoes a Telegram bot's token from its first segment. A known API
// path's segments, and a segment the host shows anyway, stay readable.
func TestScrubberHidesEveryPathSegment(t *testing.T) {
	for _, tt := range []struct{ raw, in, want string }{
		{"https://api.telegram.org/bot123456:ABC-DEF/sendMessage", `{"description":"Unauthorized: bot123456:ABC-DEF"}`, `{"description":"Unauthorized: [redacted]"}`},
		{"https://hc-ping.com/eb095278-f28d-448d-87fb-7b75c171a6aa", "no check eb095278-f28d-448d-87fb-7b75c171a6aa", "no check [redacted]"},
		{"https://grafana.example.com/grafana/api/annotations", "lookup grafana.example.com: no such host; POST /api/annotations", "lookup grafana.example.com: no such host; POST /api/annotations"},
		{"https://h.example.com/T0KEN/v1/traces", "POST /T0KEN/v1/traces: 401", "POST /[redacted]/v1/traces: 401"},
	} {
		if got := NewScrubber(tt.raw).Text(tt.in); got != tt.want {
			t.Errorf("NewScrubber(%q).Text(%q) = %q, want %q", tt.raw, tt.in, got, tt.want)
		}
	}
}

func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://u:p@h/a/b?q#f", "h/a", "a:b@c", "http://[::1]:80/x/y", "//u@h/p/q", "https://hooks.slack.com/services/T0/B0/XYZ",
		"https://api.telegram.org/botTOKEN/sendMessage", "https://hc-ping.com/UUID", "https://g/grafana/api/annotations", "h/TOKEN/slo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := URL(s)
		u, err := url.Parse(s)
		if err != nil || u.Opaque != "" || (u.Scheme == "" && u.Host == "" && u.User == nil) {
			// Read off the text: what follows ? or #, the userinfo and
			// the path but a known API path at its end stay hidden; the
			// scheme, the host and that known path may show.
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
			unknown, known := splitPath("/" + path)
			hidden = append(hidden, unknown)
			kept += "@" + authority + known + "/?#"
			shown := strings.ReplaceAll(got, Redacted, "\x00")
			for _, part := range hidden {
				// Piece by piece: a hidden part may hold the separators
				// the output puts next to what it shows.
				for _, h := range strings.FieldsFunc(part, func(r rune) bool { return strings.ContainsRune("#?/@:&=", r) }) {
					if len(h) >= 4 && strings.ContainsFunc(h, unicode.IsLetter) && strings.Count(shown, h) > strings.Count(kept, h) {
						t.Errorf("URL(%q) = %q shows %q", s, got, h)
					}
				}
			}
			return
		}
		unknown, known := splitPath(u.EscapedPath())
		kept := u.Scheme + "://@" + u.Host + "/" + known + "/?#" + known + "?" + known + "#"
		hidden := []string{unknown, u.RawQuery, u.EscapedFragment()}
		if u.User != nil {
			hidden = append(hidden, u.User.String())
		}
		shown := strings.ReplaceAll(got, Redacted, "")
		for _, h := range hidden {
			if len(h) >= 4 && strings.ContainsFunc(h, unicode.IsLetter) && strings.Count(shown, h) > strings.Count(kept, h) {
				t.Errorf("URL(%q) = %q shows %q", s, got, h)
			}
		}
	})
}

// A part shorter than minScrub guards nothing and is left in the text,
// which it would garble; a part of minScrub or more is hidden.
func TestScrubberLeavesShortParts(t *testing.T) {
	s := NewScrubber("https://us:p@h/hook/v1/api/T0KE", "ab")
	in := "us:p us p v1 api ab T0KE"
	if got, want := s.Text(in), "[redacted] us p v1 api ab [redacted]"; got != want {
		t.Errorf("Text(%q) = %q, want %q", in, got, want)
	}
}
