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
		{"http://collector:4318/otlp", "http://collector:4318/otlp"},
		{"http://collector:4318/otlp/TOKEN/v1/traces", "http://collector:4318/otlp/[redacted]"},
		{"https://u:p@h/?k=SECRET", "https://[redacted]@h/?[redacted]"},
		{"https://h/#frag", "https://h/#[redacted]"},
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
		{"admin:hunter2", "[redacted]"},
		{"localhost:4318/otlp/TOKEN", "localhost:4318/otlp/[redacted]"},
		{"http://[::1/x", "http://[::1/x"},
		{"grafana.internal:3000", "grafana.internal:3000"},
		{"localhost:18080/slo", "localhost:18080/slo"},
		{"localhost:18080/slo/TOKEN?sig=x#f", "localhost:18080/slo/[redacted]?[redacted]#[redacted]"},
		{"admin:hunter2/x", "[redacted]/x"},
		{"https://checkout.internal:80a/slo/T0", "https://[redacted]/slo/[redacted]"},
		{"https://u:p@checkout internal/slo/T0?token=x", "https://[redacted]@checkout internal/slo/[redacted]?[redacted]"},
		{"http://h/%zz/TOKEN", "http://h/%zz/[redacted]"},
		{"//u:p@h:1/a/b", "//[redacted]@h:1/a/[redacted]"},
		{"", ""},
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
	if got, want := s.Text(in), "[redacted] [redacted] [redacted] [redacted] hook h"; got != want {
		t.Errorf("Text(%q) = %q, want %q", in, got, want)
	}
	err := fmt.Errorf("post T0KEN: %w", context.DeadlineExceeded)
	got := s.Error(err)
	if strings.Contains(fmt.Sprintf("%v %+v %#v", got, got, got), "T0KEN") || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("Error(%v) = %#v, want the token hidden and errors.Is kept", err, got)
	}
	ue := &url.Error{Op: "Post", URL: "https://h/hook/T0KEN", Err: errors.New("refused")}
	var back *url.Error
	if got := s.Error(ue); !errors.As(got, &back) || back.URL != "https://h/hook/[redacted]" {
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

func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://u:p@h/a/b?q#f", "h/a", "a:b@c", "http://[::1]:80/x/y", "//u@h/p/q", "https://hooks.slack.com/services/T0/B0/XYZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := URL(s)
		u, err := url.Parse(s)
		if err != nil || u.Opaque != "" || (u.Scheme == "" && u.Host == "" && u.User == nil) {
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
		first, rest, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
		kept := u.Scheme + "://@" + u.Host + "/" + first + "/?#" + first + "?" + first + "#"
		hidden := []string{rest, u.RawQuery, u.EscapedFragment()}
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
