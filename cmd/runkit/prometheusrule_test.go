package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ybiyri/runkit/internal/promtest"
)

var (
	operatorOnce sync.Once
	operatorBin  string
	operatorErr  error
)

// operatorTool builds testdata/operator, a module of its own that reads
// what runkit writes for Kubernetes with the Prometheus Operator's types
// and Kubernetes's validation, so that those modules stay out of runkit's
// go.mod. It is built once per test binary, in binDir.
func operatorTool(t *testing.T) string {
	t.Helper()
	operatorOnce.Do(func() {
		operatorBin = filepath.Join(binDir, "operator")
		cmd := exec.Command("go", "build", "-o", operatorBin, ".")
		cmd.Dir = filepath.Join("testdata", "operator")
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			operatorErr = fmt.Errorf("building testdata/operator: %v\n%s", err, out)
		}
	})
	if operatorErr != nil {
		t.Fatal(operatorErr)
	}
	return operatorBin
}

// scriptFile writes the file name of the archive of a testscript into
// dir and returns its path.
func scriptFile(t *testing.T, script, name, dir string) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "script", script))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ar.Files {
		if f.Name == name {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	t.Fatalf("%s holds no %s", script, name)
	return ""
}

// The PrometheusRule decodes strictly into the Prometheus Operator's own
// type, with the metadata the flags give, and its groups are the rule
// file's, which promtool accepts.
func TestPrometheusRuleOperatorTypes(t *testing.T) {
	dir := t.TempDir()
	slos := scriptFile(t, "slo_rules_prometheusrule.txtar", "slos.yaml", dir)
	plain, stderr, code := runkitExit(t, nil, "slo", "rules", slos)
	if code != 0 {
		t.Fatalf("slo rules: exit %d\n%s", code, stderr)
	}
	out, stderr, code := runkitExit(t, nil, "slo", "rules", slos, "--format", "prometheusrule",
		"--name", "shop-slos", "--namespace", "monitoring", "--label", "role=alert-rules", "--label", "app.kubernetes.io/part-of=shop", "--label", "enabled=true")
	if code != 0 {
		t.Fatalf("slo rules --format prometheusrule: exit %d\n%s", code, stderr)
	}

	resource, file, extracted := filepath.Join(dir, "resource.yaml"), filepath.Join(dir, "plain.yaml"), filepath.Join(dir, "extracted.yaml")
	for path, text := range map[string]string{resource: out, file: plain} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(operatorTool(t), "rule", resource, file, extracted)
	js, err := cmd.Output()
	if err != nil {
		t.Fatalf("strict decoding into the operator's PrometheusRule: %v\n%s\n%s", err, stderrOf(err), out)
	}
	var pr struct {
		APIVersion, Kind, Name, Namespace string
		Labels                            map[string]string
		SameGroups                        bool
		Exprs                             []string
	}
	if err := json.Unmarshal(js, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" {
		t.Errorf("apiVersion %q kind %q, want monitoring.coreos.com/v1 PrometheusRule", pr.APIVersion, pr.Kind)
	}
	if pr.Name != "shop-slos" || pr.Namespace != "monitoring" {
		t.Errorf("metadata name %q namespace %q, want shop-slos and monitoring", pr.Name, pr.Namespace)
	}
	// "true" stays the string it is.
	wantLabels := map[string]string{"role": "alert-rules", "app.kubernetes.io/part-of": "shop", "enabled": "true"}
	if diff := cmp.Diff(wantLabels, pr.Labels); diff != "" {
		t.Errorf("metadata.labels (-want +got):\n%s", diff)
	}
	if !pr.SameGroups {
		t.Errorf("spec.groups, decoded by the operator's types, differ from the rule file's groups")
	}
	// The expressions byte for byte, as the rule file has them.
	for _, e := range pr.Exprs {
		if !strings.Contains(plain, e) {
			t.Errorf("expr %q is not in the rule file", e)
		}
	}
	if len(pr.Exprs) != 39 {
		t.Errorf("%d rules in spec.groups, want 39", len(pr.Exprs))
	}

	// The groups taken out of the resource are a rule file promtool
	// accepts.
	promtool := promtest.Tool(t, "promtool")
	if out, err := exec.Command(promtool, "check", "rules", extracted).CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS: 39 rules found") {
		t.Errorf("promtool check rules on the extracted groups: %v\n%s", err, out)
	}

	// --check gives the same resource.
	checked, stderr, code := runkitExit(t, nil, "slo", "rules", slos, "--format", "prometheusrule", "--check",
		"--name", "shop-slos", "--namespace", "monitoring", "--label", "role=alert-rules", "--label", "app.kubernetes.io/part-of=shop", "--label", "enabled=true")
	if code != 0 || checked != out {
		t.Errorf("with --check: exit %d, same output %v\n%s", code, checked == out, stderr)
	}
}

// No library package imports Kubernetes, the Prometheus Operator or
// Grafana: only cmd/runkit's tests do.
func TestLibraryImportGraph(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./slo/...", "./health/...", "./breaker/...", "./deploy/...", "./telemetry/...", "./incident/...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) < 100 {
		t.Fatalf("go list -deps listed %d packages; is it run at the module's root?", len(pkgs))
	}
	for _, p := range pkgs {
		for _, bad := range []string{"k8s.io/", "sigs.k8s.io/", "github.com/prometheus-operator/", "github.com/grafana/"} {
			if strings.HasPrefix(p, bad) {
				t.Errorf("a library package depends on %s", p)
			}
		}
	}
}

// stderrOf is what a failed command wrote to its standard error.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// nameSeeds are names at the edges of Kubernetes's rules.
var nameSeeds = []string{"", "a", "shop-slos", "Shop", "-a", "a-", "a.b", "a..b", "a_b", "app.kubernetes.io/part-of",
	"/a", "a/", "a/b/c", "Example.com/x", "x.y/Z_z.9", strings.Repeat("a", 63), strings.Repeat("a", 64),
	strings.Repeat("a.", 126) + "a", strings.Repeat("a", 254), "é", "a\x00", "1", "true", ".a", "a.", "a-.b", "a/-b"}

// The checks of --name, --namespace and --label agree with Kubernetes's
// own validation on names at the edges of its rules and on 20,000 random
// ones.
func TestKubernetesNamesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcz09AZ-._/é"
	names := slices.Clone(nameSeeds)
	for range 20_000 {
		var b strings.Builder
		for range rng.IntN(12) {
			r := []rune(alphabet)
			b.WriteRune(r[rng.IntN(len(r))])
		}
		if rng.IntN(20) == 0 {
			b.WriteString(strings.Repeat("a", 50+rng.IntN(220)))
		}
		names = append(names, b.String())
	}
	var in strings.Builder
	for _, s := range names {
		q, _ := json.Marshal(s)
		in.Write(q)
		in.WriteByte('\n')
	}
	cmd := exec.Command(operatorTool(t), "names")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("operator names: %v\n%s", err, stderrOf(err))
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d verdicts for %d names", len(lines), len(names))
	}
	for i, s := range names {
		var k8s [4]int
		fmt.Sscanf(lines[i], "%d %d %d %d", &k8s[0], &k8s[1], &k8s[2], &k8s[3])
		for j, c := range []struct{ what, ours string }{
			{"name", subdomainProblem(s)}, {"namespace", dnsLabelProblem(s)},
			{"label key", labelKeyProblem(s)}, {"label value", labelValueProblem(s)},
		} {
			if (c.ours == "") != (k8s[j] == 1) {
				t.Errorf("%s %q: ours %q, Kubernetes says valid: %v", c.what, s, c.ours, k8s[j] == 1)
			}
		}
	}
}

// The rules Kubernetes states for names, written as patterns.
var (
	dnsLabel   = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
	labelRE    = regexp.MustCompile(`^` + dnsLabel + `$`)
	subdomRE   = regexp.MustCompile(`^` + dnsLabel + `(\.` + dnsLabel + `)*$`)
	qualName   = `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
	qualRE     = regexp.MustCompile(`^` + qualName + `$`)
	prefixedRE = regexp.MustCompile(`^(.+)/(.+)$`)
)

// The checks of --name, --namespace and --label agree on any text with
// the patterns and lengths Kubernetes documents for them, and say why
// when they refuse.
func FuzzKubernetesNames(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key := func(s string) bool {
			name := s
			if m := prefixedRE.FindStringSubmatch(s); m != nil && !strings.Contains(m[2], "/") {
				if len(m[1]) > 253 || !subdomRE.MatchString(m[1]) {
					return false
				}
				name = m[2]
			}
			return len(name) <= 63 && qualRE.MatchString(name)
		}
		for _, c := range []struct {
			what  string
			ours  string
			valid bool
		}{
			{"name", subdomainProblem(s), len(s) <= 253 && subdomRE.MatchString(s)},
			{"namespace", dnsLabelProblem(s), len(s) <= 63 && labelRE.MatchString(s)},
			{"label key", labelKeyProblem(s), key(s)},
			{"label value", labelValueProblem(s), s == "" || len(s) <= 63 && qualRE.MatchString(s)},
		} {
			if (c.ours == "") != c.valid {
				t.Errorf("%s %q: ours %q, the documented rule says valid: %v", c.what, s, c.ours, c.valid)
			}
		}
	})
}

// The writer that nests the rule file indents every line, wherever the
// writes that carry it break, and writes the head with the first bytes
// only: rules that fail before writing leave nothing.
func TestIndentWriter(t *testing.T) {
	file := "# comment\ngroups:\n- name: a\n  rules:\n\n    - record: x\n      expr: 'y'\n"
	want := "HEAD\n  # comment\n  groups:\n  - name: a\n    rules:\n\n      - record: x\n        expr: 'y'\n"
	for _, size := range []int{1, 2, 3, 7, len(file)} {
		var b strings.Builder
		err := writePrometheusRule(&b, objectMeta{}, func(w io.Writer) error {
			for s := file; s != ""; {
				n := min(size, len(s))
				if m, err := w.Write([]byte(s[:n])); err != nil || m != n {
					return fmt.Errorf("wrote %d of %d: %v", m, n, err)
				}
				s = s[n:]
			}
			return nil
		})
		got := b.String()
		if i := strings.Index(got, "spec:\n"); err != nil || i < 0 {
			t.Fatalf("writes of %d: %v\n%s", size, err, got)
		} else if got = "HEAD\n" + got[i+len("spec:\n"):]; got != want {
			t.Errorf("writes of %d bytes:\n%s\nwant\n%s", size, got, want)
		}
	}

	var b strings.Builder
	fail := errors.New("duplicate objective")
	if err := writePrometheusRule(&b, objectMeta{name: "x"}, func(io.Writer) error { return fail }); err != fail || b.Len() != 0 {
		t.Errorf("rules failing before a write: %v, wrote %q", err, b.String())
	}
}
