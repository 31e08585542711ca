package redisbreaker

import (
	"strings"
	"testing"
	"time"
)

func TestParseMessage(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want message
		err  string
	}{
		{in: "open 1733000000000 1500 r1 api.example.com:443", want: message{open: true, version: 1733000000000, left: 1500 * time.Millisecond, replica: "r1", name: "api.example.com:443"}},
		{in: "close 7 r1 payments db", want: message{version: 7, replica: "r1", name: "payments db"}},
		{in: "open 1 0 r1 x", err: "time left"},
		{in: "open 1 -5 r1 x", err: "time left"},
		{in: "open 1 99999999999999999999 r1 x", err: "time left"},
		{in: "open 1 31536000001 r1 x", err: "time left"},
		{in: "open 1 12", err: "time left"},
		{in: "open 1 12 r1", err: "want a replica"},
		{in: "open 1500 r1 x", err: "time left"},
		{in: "open 0 5 r1 x", err: "version"},
		{in: "close -1 r1 x", err: "version"},
		{in: "close r1 x", err: "version"},
		{in: "close 1 r1", err: "want a replica"},
		{in: "close 1  x", err: "want a replica"},
		{in: "", err: "neither open nor close"},
		{in: "half-open r1 x", err: "neither open nor close"},
	} {
		got, err := parseMessage(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseMessage(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseMessage(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("String() = %q, want %q", s, tc.in)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{"open 9 1500 r1 api:443", "close 9 r1 a b", "open 1 0 r x", "close", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMessage(s)
		if err != nil {
			return
		}
		if m.name == "" || m.replica == "" || m.version <= 0 || strings.Contains(m.replica, " ") || (m.open && (m.left <= 0 || m.left > maxLeft)) {
			t.Fatalf("parseMessage(%q) = %+v: accepted a message it should not", s, m)
		}
		again, err := parseMessage(m.String())
		if err != nil || again != m {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", s, again, err, m)
		}
	})
}
