package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ybiyri/runkit/deploy"
	"github.com/ybiyri/runkit/slo"
)

// TestMain lets the test binary be the program: with DEPLOYMARKER_MAIN
// set it runs main, so that the tests run deploymarker as a pipeline does
// and see its real exit status.
func TestMain(m *testing.M) {
	if os.Getenv("DEPLOYMARKER_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

var sinkEnv = []string{"GRAFANA_URL", "GRAFANA_TOKEN", "HONEYCOMB_KEY", "HONEYCOMB_DATASET", "DD_API_KEY", "DD_SITE_URL", "DEPLOY_WEBHOOK_URL", "GIT_COMMIT"}

// deploymarker runs the program with args and env (NAME=value), and
// returns its exit status and output.
func deploymarker(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, s := range sinkEnv {
			keep = keep && name != s
		}
		if keep {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DEPLOYMARKER_MAIN=1")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// hook is a webhook receiver answering status, counting calls.
func hook(t *testing.T, status int) (url string, calls *atomic.Int32) {
	calls = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, calls
}

// sloServer serves a tracker's /slo; record sets what it has seen.
func sloServer(t *testing.T, good, bad int64) string {
	o := slo.Objective{Name: "checkout", Target: 0.99, Window: slo.Rolling(24 * time.Hour)}
	tr, err := slo.NewTracker(o, slo.TrackerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if good+bad > 0 {
		tr.RecordN(good, bad)
	}
	srv := httptest.NewServer(tr.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + "/slo"
}

func TestExitStatus(t *testing.T) {
	healthy, spent, quiet := sloServer(t, 1000, 0), sloServer(t, 50, 50), sloServer(t, 0, 0)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>login</html>")) // a proxy's login page, not the service
	}))
	defer proxy.Close()
	notJSON := proxy.URL + "/slo"
	tests := []struct {
		name   string
		status int // the webhook's answer
		env    []string
		args   []string
		code   int
		calls  int32  // webhook calls
		stderr string // in standard error
	}{
		{"allowed and marked", 200, nil, []string{"-service", "checkout", "-version", "1.4.2", "-slo-status", healthy}, 0, 1, "deploy allowed (within-budget)"},
		{"no gate asked", 200, nil, []string{"-service", "checkout"}, 0, 1, ""},
		{"help", 200, nil, []string{"-h"}, 0, 0, "Exit status:"},

		{"flag typo", 200, nil, []string{"-servce", "checkout"}, 1, 0, "flag provided but not defined: -servce"},
		{"no service", 200, nil, []string{"-version", "1"}, 1, 0, "-service is required"},
		{"stray argument", 200, nil, []string{"-service", "checkout", "production"}, 1, 0, `unexpected argument "production"`},
		{"bad kind", 200, nil, []string{"-service", "checkout", "-kind", "hotfix"}, 1, 0, `-kind "hotfix"`},
		{"bad link", 200, nil, []string{"-service", "checkout", "-url", "ci/run/7"}, 1, 0, "marker URL"},
		{"bad sink URL", 200, []string{"GRAFANA_URL=grafana.internal", "GRAFANA_TOKEN=x"}, []string{"-service", "checkout"}, 1, 0, `GrafanaConfig.URL "grafana.internal" is not an http or https URL`},
		{"sink without its key", 200, []string{"GRAFANA_URL=https://grafana.internal"}, []string{"-service", "checkout"}, 1, 0, "GrafanaConfig.Token is empty"},
		{"bad status URL", 200, nil, []string{"-service", "checkout", "-slo-status", "checkout.internal/slo"}, 1, 0, `-slo-status "checkout.internal/[redacted]" is not an http or https URL`},

		{"budget spent", 200, nil, []string{"-service", "checkout", "-slo-status", healthy, "-slo-status", spent}, 2, 0, "deploy refused (budget-spent)"},
		{"no data", 200, nil, []string{"-service", "checkout", "-slo-status", quiet}, 2, 0, "deploy refused (no-data)"},
		{"no data allowed", 200, nil, []string{"-service", "checkout", "-slo-status", quiet, "-allow-no-data"}, 0, 1, "deploy allowed (no-data-allowed)"},
		{"fix overrides", 200, nil, []string{"-service", "checkout", "-slo-status", spent, "-kind", "fix", "-override-by", "alice", "-override-reason", "INC-7"}, 0, 1, "fix allowed through the freeze by alice"},
		{"feature cannot override", 200, nil, []string{"-service", "checkout", "-slo-status", spent, "-override-by", "alice", "-override-reason", "launch"}, 2, 0, "a feature cannot override"},

		{"sink fails", 400, nil, []string{"-service", "checkout", "-slo-status", healthy}, 3, 1, "webhook: failed after 1 attempts"},
		{"status unreachable", 200, nil, []string{"-service", "checkout", "-slo-status", "http://127.0.0.1:1/slo"}, 3, 0, "cannot read the SLO status"},
		{"status not JSON", 200, nil, []string{"-service", "checkout", "-slo-status", notJSON}, 3, 0, "SLO status 1: invalid character '<'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, calls := hook(t, tt.status)
			env := append([]string{"DEPLOY_WEBHOOK_URL=" + url}, tt.env...)
			code, stdout, stderr := deploymarker(t, env, tt.args...)
			if code != tt.code || calls.Load() != tt.calls || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("deploymarker %s: exit %d after %d webhook calls, want %d and %d; stderr:\n%s\nwant it to hold %q",
					strings.Join(tt.args, " "), code, calls.Load(), tt.code, tt.calls, stderr, tt.stderr)
			}
			// Once past the checks, the JSON line is on standard output,
			// even when another sink failed.
			if marked := strings.Contains(stdout, `"event":"deployment"`); marked != (tt.calls > 0) {
				t.Errorf("deploymarker %s: stdout %q", strings.Join(tt.args, " "), stdout)
			}
		})
	}
}

func TestMarkerIDAndSecrets(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("bad token for " + r.URL.String()))
	}))
	defer failing.Close()
	secret := strings.Replace(failing.URL, "http://", "http://leakuser:leakpass@", 1) + "/hooks/T0SECRET/PATHSECRET?sig=QUERYSECRET"
	env := []string{"DEPLOY_WEBHOOK_URL=" + secret, "GRAFANA_URL=" + secret, "GRAFANA_TOKEN=hdrSECRET"}
	code, stdout, stderr := deploymarker(t, env, "-service", "checkout", "-version", "1.4.2", "-revision", "abc123", "-env", "production")
	if code != 3 {
		t.Errorf("exit %d, want 3; stderr:\n%s", code, stderr)
	}
	for _, s := range []string{"leakuser", "leakpass", "T0SECRET", "PATHSECRET", "QUERYSECRET", "hdrSECRET"} {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("%s leaked:\n%s%s", s, stdout, stderr)
		}
	}
	if !strings.Contains(stderr, "403 Forbidden") {
		t.Errorf("stderr does not say what failed:\n%s", stderr)
	}
	// The ID is the deployment's, the same from every run.
	if id := deploy.ID("checkout", "production", "1.4.2", "abc123"); !strings.Contains(stdout, `"id":"`+id+`"`) {
		t.Errorf("stdout %q lacks the ID %s", stdout, id)
	}
}
