package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

// A test binary carries no VCS data, as a container build from a copied
// tree does: FromBuild must say so rather than hand out one ID for every
// build.
func TestFromBuildWithoutVCSData(t *testing.T) {
	for _, v := range []string{"RUNKIT_VERSION", "RUNKIT_REVISION", "RUNKIT_COMMIT_TIME"} {
		t.Setenv(v, "")
	}
	if b := deploy.Build(); b.RevisionKnown {
		t.Skipf("this test binary carries VCS data (%s)", b)
	}
	m, err := deploy.FromBuild("checkout", "production")
	if !errors.Is(err, deploy.ErrUnidentified) {
		t.Fatalf("FromBuild without VCS data = %+v, %v; want ErrUnidentified", m, err)
	}
	for _, want := range []string{"checkout", "RUNKIT_VERSION", "RUNKIT_REVISION", "-ldflags"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("FromBuild error %q does not mention %s", err, want)
		}
	}
	// Announcing it anyway is refused, and nothing is sent.
	var out bytes.Buffer
	a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&out)}}
	if _, err := a.Announce(t.Context(), m); !errors.Is(err, deploy.ErrUnidentified) || out.Len() != 0 {
		t.Errorf("Announce(unidentified) = %v and wrote %q; want ErrUnidentified and nothing sent", err, out.String())
	}

	// 30 builds, each given its revision at run time: 30 deployments.
	var log bytes.Buffer
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		t.Setenv("RUNKIT_REVISION", fmt.Sprintf("%040x", i+1))
		t.Setenv("RUNKIT_COMMIT_TIME", day.Add(time.Duration(i)*time.Hour).Format(time.RFC3339))
		m, err := deploy.FromBuild("checkout", "production")
		if err != nil {
			t.Fatalf("FromBuild with RUNKIT_REVISION: %v", err)
		}
		now := day.Add(time.Duration(i)*time.Hour + 10*time.Minute)
		a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&log)}, Now: func() time.Time { return now }}
		if _, err := a.Announce(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	markers, err := deploy.ReadMarkers(&log)
	if err != nil {
		t.Fatal(err)
	}
	var deps []deploy.Deployment
	for _, m := range markers {
		deps = append(deps, m.Deployment())
	}
	d, err := deploy.MeasureDORA(day, day.Add(48*time.Hour), deps, nil)
	if err != nil || d.Deployments != 30 || d.Duplicates != 0 {
		t.Errorf("MeasureDORA of 30 builds = %d deployments, %d duplicates, %v; want 30, 0", d.Deployments, d.Duplicates, err)
	}

	// The version alone identifies a deployment too; a malformed commit
	// time is an error naming the variable.
	t.Setenv("RUNKIT_REVISION", "")
	t.Setenv("RUNKIT_VERSION", "1.4.2")
	t.Setenv("RUNKIT_COMMIT_TIME", "yesterday")
	m, err = deploy.FromBuild("checkout", "production")
	if err == nil || !strings.Contains(err.Error(), `RUNKIT_COMMIT_TIME "yesterday"`) || m.Version != "1.4.2" {
		t.Errorf("FromBuild with a bad RUNKIT_COMMIT_TIME = %+v, %v", m, err)
	}
	t.Setenv("RUNKIT_COMMIT_TIME", "")
	if m, err := deploy.FromBuild("checkout", "production"); err != nil || m.Version != "1.4.2" || deploy.Build().Version != "1.4.2" {
		t.Errorf("FromBuild with RUNKIT_VERSION = %+v, %v", m, err)
	}
}

func TestMarkerValidate(t *testing.T) {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	ok := deploy.Marker{Service: "checkout", Version: "1.4.2", Start: start}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	for _, tt := range []struct {
		name string
		edit func(*deploy.Marker)
		want string
	}{
		{"blank service", func(m *deploy.Marker) { m.Service = " " }, `Service " " is blank`},
		{"service with a newline", func(m *deploy.Marker) { m.Service = "check\nout" }, `Service "check\nout" holds a control character`},
		{"environment with a tab", func(m *deploy.Marker) { m.Environment = "prod\t" }, `Environment "prod\t" holds a control character`},
		{"commit after start", func(m *deploy.Marker) { m.CommitTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) },
			"CommitTime 2030-01-01T00:00:00Z is after Start 2026-11-26T09:00:00Z"},
		{"no version, revision or ID", func(m *deploy.Marker) { m.Version = "" }, "no Version, Revision or ID"},
		{"devel version", func(m *deploy.Marker) { m.Version = "(devel)" }, `Version "(devel)"`},
	} {
		m := ok
		tt.edit(&m)
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.want)
		}
	}
	// Either of revision or ID identifies a deployment without a version.
	for _, m := range []deploy.Marker{{Service: "checkout", Revision: "abc"}, {Service: "checkout", ID: "checkout-7"}, {Service: "checkout", Version: "(devel)", Revision: "abc"}} {
		if err := m.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", m, err)
		}
	}
}

// A marker with no Start is announced now: a commit time after now is
// refused as one after an explicit Start is.
func TestAnnounceRefusesCommitInTheFuture(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	a := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(&out)}, Now: func() time.Time { return now }}
	_, err := a.Announce(t.Context(), deploy.Marker{Service: "checkout", Version: "2", CommitTime: now.Add(time.Hour)})
	if err == nil || !strings.Contains(err.Error(), "CommitTime 2026-11-26T10:00:00Z is after Start 2026-11-26T09:00:00Z") || out.Len() != 0 {
		t.Errorf("Announce(commit in the future) = %v, wrote %q", err, out.String())
	}
}

func TestAnnouncerValidates(t *testing.T) {
	m := deploy.Marker{Service: "checkout", Version: "1"}
	var out bytes.Buffer
	w := deploy.Writer(&out)
	for _, tt := range []struct {
		a    deploy.Announcer
		want string
	}{
		{deploy.Announcer{Sinks: []deploy.Sink{w, nil}}, "Announcer.Sinks[1] is nil"},
		{deploy.Announcer{Sinks: []deploy.Sink{(*nilSink)(nil)}}, "Announcer.Sinks[0] is a nil *deploy_test.nilSink"},
		{deploy.Announcer{Sinks: []deploy.Sink{w}, MaxAttempts: -1}, "Announcer.MaxAttempts -1 is negative"},
		{deploy.Announcer{Sinks: []deploy.Sink{w}, BaseDelay: -time.Second}, "Announcer.BaseDelay -1s is negative"},
		{deploy.Announcer{Sinks: []deploy.Sink{w}, MaxDelay: -time.Second}, "Announcer.MaxDelay -1s is negative"},
		{deploy.Announcer{Sinks: []deploy.Sink{w}, BaseDelay: time.Hour, MaxDelay: time.Second}, "Announcer.BaseDelay 1h0m0s is over MaxDelay 1s"},
	} {
		res, err := tt.a.Announce(t.Context(), m)
		if err == nil || !strings.Contains(err.Error(), tt.want) || res != nil {
			t.Errorf("Announce = %v, %v; want %q", res, err, tt.want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("a refused announcer sent %q", out.String())
	}
}

type nilSink struct{ name string }

func (s *nilSink) Name() string                              { return s.name }
func (s *nilSink) Send(context.Context, deploy.Marker) error { return nil }

func TestGateValidates(t *testing.T) {
	status := slo.TrackerStatus{Status: slo.Status{Objective: "checkout", Remaining: 0.5}}
	for _, v := range []float64{2, 1, -0.1, math.NaN(), math.Inf(1)} {
		g := deploy.Gate{MinRemaining: v}
		err := g.Validate()
		want := fmt.Sprintf("Gate.MinRemaining %v", v)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Gate{MinRemaining: %v}.Validate() = %v, want %q", v, err, want)
		}
		d := g.Decide(deploy.Request{Kind: deploy.Fix, Override: true, By: "alice", Reason: "INC-1"}, status)
		if d.Allow || d.Rule != deploy.RuleInvalidGate || !strings.Contains(d.String(), want) {
			t.Errorf("Gate{MinRemaining: %v}.Decide = %v, want a refusal naming the value", v, d)
		}
	}
	for _, v := range []float64{0, 0.1, 0.999} {
		if err := (deploy.Gate{MinRemaining: v}).Validate(); err != nil {
			t.Errorf("Gate{MinRemaining: %v}.Validate() = %v", v, err)
		}
	}
}
