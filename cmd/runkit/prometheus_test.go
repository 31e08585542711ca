package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// runkitExit runs the installed runkit with args and env, and returns
// its standard output, standard error and exit code.
func runkitExit(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "runkit"), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// deploy gate and slo status read the fleet's view from a real Prometheus
// holding 29 days of backfilled events, directly and through a TLS proxy
// that wants a bearer token or basic auth; the exit codes are those of
// the other sources, and the budget is slo.Evaluate's on the same counts.
func TestPrometheusSource(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	checkout := slo.Objective{Name: "checkout", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}
	search := slo.Objective{Name: "search", Target: 0.99, Window: slo.Rolling(30 * 24 * time.Hour)}
	quiet := slo.Objective{Name: "quiet", Target: 0.99, Window: slo.Rolling(30 * 24 * time.Hour)}
	fleet := promtest.StartFleet(t, ctx, promrules.Config{Severity: map[slo.Severity]string{slo.Page: "critical"}},
		promtest.FleetSLO{SLO: promrules.SLO{Objective: checkout}, ErrorRate: []float64{0.0002, 0.0006}},
		promtest.FleetSLO{SLO: promrules.SLO{Objective: search}, ErrorRate: []float64{0.005, 0.005}, Spike: 0.3, SpikeFor: 90 * time.Minute},
		promtest.FleetSLO{SLO: promrules.SLO{Objective: quiet}},
	)
	// Until the page's alert has been evaluated.
	if !promtest.Until(ctx, func() bool {
		return len(fleet.Query(t, `ALERTS{slo="search",severity="critical",alertstate="firing"}`)) > 0
	}) {
		t.Fatal("the search page never fired")
	}

	// A proxy in front of it, over TLS with a certificate of its own.
	target, _ := url.Parse(fleet.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	tlsProxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, basic := r.BasicAuth()
		if r.Header.Get("Authorization") != "Bearer s3cret-token" && !(basic && user == "gate" && pass == "pw") {
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer tlsProxy.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsProxy.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"within budget", nil, []string{"deploy", "gate", "--prometheus", fleet.URL, "--slo", "checkout"}, 0, "deploy allowed (within-budget)"},
		{"page firing", nil, []string{"deploy", "gate", "--prometheus", fleet.URL, "--slo", "checkout", "--slo", "search", "--severity", "page=critical"}, 2, "deploy refused (page-firing)"},
		// The rules label a mapped severity's alerts with the tier's
		// own, slo_severity: the gate needs no --severity to see the page.
		{"severity mapped in the rules", nil, []string{"deploy", "gate", "--prometheus", fleet.URL, "--slo", "search"}, 2, "deploy refused (page-firing)"},
		{"no data", nil, []string{"deploy", "gate", "--prometheus", fleet.URL, "--slo", "quiet"}, 2, "deploy refused (no-data)"},
		{"no such SLO", nil, []string{"deploy", "gate", "--prometheus", fleet.URL, "--slo", "chekout"}, 3, "rules are not loaded there"},
		{"label selecting nothing", nil, []string{"deploy", "gate", "--prometheus", fleet.URL, "--slo", "checkout", "--label", "region=nowhere"}, 2, "deploy refused (no-data)"},
		{"no --slo", nil, []string{"deploy", "gate", "--prometheus", fleet.URL}, 1, "--prometheus needs --slo"},
		{"token file, CA", nil, []string{"deploy", "gate", "--prometheus", tlsProxy.URL, "--slo", "checkout", "--bearer-token-file", token, "--ca-file", ca}, 0, "deploy allowed (within-budget)"},
		{"token env, CA", []string{"PROM_TOKEN=s3cret-token"}, []string{"deploy", "gate", "--prometheus", tlsProxy.URL, "--slo", "checkout", "--bearer-token-env", "PROM_TOKEN", "--ca-file", ca}, 0, "deploy allowed (within-budget)"},
		{"basic auth", []string{"PROM_PASSWORD=pw"}, []string{"deploy", "gate", "--prometheus", tlsProxy.URL, "--slo", "checkout", "--basic-auth-user", "gate", "--basic-auth-password-env", "PROM_PASSWORD", "--ca-file", ca}, 0, "deploy allowed (within-budget)"},
		{"wrong token", []string{"PROM_TOKEN=nope"}, []string{"deploy", "gate", "--prometheus", tlsProxy.URL, "--slo", "checkout", "--bearer-token-env", "PROM_TOKEN", "--ca-file", ca}, 3, "401 Unauthorized"},
		{"unknown CA", nil, []string{"deploy", "gate", "--prometheus", tlsProxy.URL, "--slo", "checkout", "--bearer-token-file", token}, 3, "certificate"},
		{"unset env", nil, []string{"deploy", "gate", "--prometheus", tlsProxy.URL, "--slo", "checkout", "--bearer-token-env", "RUNKIT_TEST_UNSET"}, 1, "--bearer-token-env RUNKIT_TEST_UNSET: the variable is not set"},
		{"status", nil, []string{"slo", "status", "--prometheus", fleet.URL, "--slo", "checkout", "--slo", "quiet"}, 0, "no data"},
		{"status paging", nil, []string{"slo", "status", "--prometheus", fleet.URL, "--slo", "search", "--severity", "page=critical"}, 2, "page 1h/5m"},
	} {
		stdout, stderr, code := runkitExit(t, c.env, c.args...)
		if code != c.code || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%s: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", c.name, code, c.code, c.want, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, "s3cret-token") {
			t.Errorf("%s: the token shows:\n%s%s", c.name, stdout, stderr)
		}
	}

	// The budget the gate shows is slo.Evaluate's on the same counts.
	stdout, _, code := runkitExit(t, nil, "deploy", "gate", "--prometheus", fleet.URL, "--slo", "checkout", "-o", "json")
	var out struct {
		Objectives []struct {
			Objective       string
			BudgetRemaining float64
		}
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || code != 0 || len(out.Objectives) != 1 {
		t.Fatalf("gate -o json: exit %d, %v\n%s", code, err, stdout)
	}
	want := fleet.Evaluate(t, checkout).Remaining
	// To the resolution of the events recorded each promrules.Step.
	if got := out.Objectives[0].BudgetRemaining; math.Abs(got-want) > 1e-3*math.Abs(want) {
		t.Errorf("gate: budget remaining %v, slo.Evaluate %v", got, want)
	}
}
