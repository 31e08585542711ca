package buildinfo

import (
	"runtime/debug"
	"testing"
	"time"
)

func TestFrom(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "example.com/svc", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"},
			{Key: "vcs.time", Value: "2026-11-20T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := From(bi, true, "", "", "")
	want := Info{Path: "example.com/svc", Version: "(devel)", Revision: "abc123",
		Time: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), Modified: true, GoVersion: "go1.26.8"}
	if got != want {
		t.Errorf("From(vcs) = %+v, want %+v", got, want)
	}
	got = From(nil, false, "1.2.3", "def456", "2026-11-21T00:00:00Z")
	if got.Version != "1.2.3" || got.Revision != "def456" || got.Time.Day() != 21 || got.Modified {
		t.Errorf("From(overrides only) = %+v", got)
	}
	if got := From(nil, false, "", "", ""); got != (Info{}) {
		t.Errorf("From(nothing) = %+v, want zero", got)
	}
	if r := Read(); r.GoVersion == "" {
		t.Errorf("Read() = %+v, want at least the Go version", r)
	}
}

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{EnvVersion: " 2.0.0 ", EnvRevision: "def456", EnvCommitTime: "2026-11-22T00:00:00Z"}
	recorded := Info{Version: "(devel)", Revision: "abc123", Modified: true}
	got := recorded.withEnv(func(k string) string { return env[k] })
	if got.Version != "2.0.0" || got.Revision != "def456" || got.Modified || got.Time.Day() != 22 || got.Err != nil {
		t.Errorf("withEnv = %+v", got)
	}
	env = map[string]string{EnvCommitTime: "yesterday"}
	got = recorded.withEnv(func(k string) string { return env[k] })
	if got.Err == nil || got.Revision != "abc123" || !got.Time.IsZero() {
		t.Errorf("withEnv(bad commit time) = %+v", got)
	}
	if got := From(nil, false, "", "", "soon"); got.Err == nil {
		t.Errorf("From(bad link-time commit time) = %+v, want an error", got)
	}
}
