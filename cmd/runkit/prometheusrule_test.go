package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/rogpeppe/go-internal/txtar"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/ybiyri/runkit/internal/promtest"
)

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

	var pr monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict([]byte(out), &pr); err != nil {
		t.Fatalf("strict decoding into monitoringv1.PrometheusRule: %v\n%s", err, out)
	}
	if got, want := pr.APIVersion, monitoringv1.SchemeGroupVersion.String(); got != want {
		t.Errorf("apiVersion %q, want %q", got, want)
	}
	if got, want := pr.Kind, monitoringv1.PrometheusRuleKind; got != want {
		t.Errorf("kind %q, want %q", got, want)
	}
	if pr.Name != "shop-slos" || pr.Namespace != "monitoring" {
		t.Errorf("metadata name %q namespace %q, want shop-slos and monitoring", pr.Name, pr.Namespace)
	}
	// "true" stays the string it is.
	wantLabels := map[string]string{"role": "alert-rules", "app.kubernetes.io/part-of": "shop", "enabled": "true"}
	if diff := cmp.Diff(wantLabels, pr.Labels); diff != "" {
		t.Errorf("metadata.labels (-want +got):\n%s", diff)
	}

	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := yaml.UnmarshalStrict([]byte(plain), &file); err != nil {
		t.Fatalf("strict decoding of the rule file: %v", err)
	}
	if len(file.Groups) != 4 {
		t.Fatalf("the rule file has %d groups, want 4 (two SLOs, each with its group of recorded events)", len(file.Groups))
	}
	if diff := cmp.Diff(file.Groups, pr.Spec.Groups); diff != "" {
		t.Errorf("spec.groups differ from the rule file's groups (-file +resource):\n%s", diff)
	}
	// The expressions byte for byte, as the rule file has them.
	n := 0
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if !strings.Contains(plain, r.Expr.StrVal) {
				t.Errorf("expr %q is not in the rule file", r.Expr.StrVal)
			}
			n++
		}
	}
	if n != 29 {
		t.Errorf("%d rules in spec.groups, want 29", n)
	}

	// The groups taken out of the resource are a rule file promtool
	// accepts.
	extracted, err := yaml.Marshal(map[string]any{"groups": pr.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "extracted.yaml")
	if err := os.WriteFile(path, extracted, 0o644); err != nil {
		t.Fatal(err)
	}
	promtool := promtest.Tool(t, "promtool")
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "SUCCESS: 29 rules found") {
		t.Errorf("promtool check rules on the extracted groups: %v\n%s\n%s", err, out, extracted)
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

// The checks of --name, --namespace and --label agree with Kubernetes's
// own on any text.
func FuzzKubernetesNames(f *testing.F) {
	for _, s := range []string{"", "a", "shop-slos", "Shop", "-a", "a-", "a.b", "a..b", "a_b", "app.kubernetes.io/part-of",
		"/a", "a/", "a/b/c", "Example.com/x", "x.y/Z_z.9", strings.Repeat("a", 63), strings.Repeat("a", 64),
		strings.Repeat("a.", 126) + "a", strings.Repeat("a", 254), "é", "a\x00", "1", "true"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			name string
			ours string
			k8s  []string
		}{
			{"name", subdomainProblem(s), validation.IsDNS1123Subdomain(s)},
			{"namespace", dnsLabelProblem(s), validation.IsDNS1123Label(s)},
			{"label key", labelKeyProblem(s), validation.IsQualifiedName(s)},
			{"label value", labelValueProblem(s), validation.IsValidLabelValue(s)},
		} {
			if (c.ours == "") != (len(c.k8s) == 0) {
				t.Errorf("%s %q: ours %q, Kubernetes %q", c.name, s, c.ours, c.k8s)
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
