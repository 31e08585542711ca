package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/openslo"
	"github.com/ybiyri/runkit/slo/promrules"
)

// TestSLOFileMatchesTracker keeps slos/hello.yaml and the objective the
// service tracks one definition, and checks that the file's Prometheus
// rules pass the real promtool.
func TestSLOFileMatchesTracker(t *testing.T) {
	slos, err := openslo.ReadFiles(filepath.Join("slos", "hello.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(slos) != 1 || len(slos[0].Objectives) != 1 {
		t.Fatalf("slos/hello.yaml holds %d SLOs, want one with one objective", len(slos))
	}
	got := slos[0].Objectives[0].Objective
	if !reflect.DeepEqual(got, availability) || routeObjectives.Overrides["GET /hello"] != (slo.RouteOverride{}) {
		t.Errorf("slos/hello.yaml's objective = %+v, want the tracked %+v of GET /hello", got, availability)
	}

	bad, good, total, err := slos[0].Indicator.PromQL()
	if err != nil {
		t.Fatal(err)
	}
	var rules bytes.Buffer
	if err := promrules.Write(&rules, promrules.Config{}, promrules.SLO{
		Objective: got,
		Policy:    slos[0].Policy(),
		Source:    promrules.Ratio{Bad: bad, Good: good, Total: total},
	}); err != nil {
		t.Fatal(err)
	}
	tool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool not found (Debian package prometheus): %v", err)
		}
		t.Skip("promtool not found; install Debian's prometheus package")
	}
	file := filepath.Join(t.TempDir(), "hello.rules.yml")
	if err := os.WriteFile(file, rules.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
