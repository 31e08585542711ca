package sloth_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ybiyri/runkit/slo"
	"github.com/ybiyri/runkit/slo/sloth"
)

func parseFile(t *testing.T, name string) []sloth.SLO {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if !sloth.Is(data) {
		t.Fatalf("Is(%s) = false, want true", name)
	}
	slos, err := sloth.Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return slos
}

// Every option of the spec is read: labels merged with the SLO's
// winning, events, raw and plugin SLIs, alert labels and annotations
// merged with the alert's winning, disabled alerts, SLO plugins of the
// spec and the SLO (overridePrevious dropping the spec's), and a second
// document.
func TestParseOptions(t *testing.T) {
	slos := parseFile(t, "options.yaml")
	if len(slos) != 4 {
		t.Fatalf("%d SLOs, want 4", len(slos))
	}
	c := slos[0]
	if c.ID() != "shop-checkout-availability" || c.Objective != 99.95 || c.Description != "Checkout answers without a 5xx." {
		t.Errorf("checkout = %q %v %q", c.ID(), c.Objective, c.Description)
	}
	if want := map[string]string{"owner": "payments", "tier": "0", "category": "availability"}; !reflect.DeepEqual(c.Labels, want) {
		t.Errorf("labels = %v, want %v", c.Labels, want)
	}
	if want := `sum(rate(http_requests_total{route="/checkout"}[{{.window}}]))`; c.SLI.TotalQuery != want {
		t.Errorf("total query = %q, want %q", c.SLI.TotalQuery, want)
	}
	if want := map[string]string{"severity": "critical", "team": "payments-oncall"}; !reflect.DeepEqual(c.PageLabels(), want) {
		t.Errorf("page labels = %v, want %v", c.PageLabels(), want)
	}
	if want := map[string]string{"runbook_url": "https://runbooks.example.com/checkout", "summary": "Checkout is failing fast"}; !reflect.DeepEqual(c.PageAnnotations(), want) {
		t.Errorf("page annotations = %v, want %v", c.PageAnnotations(), want)
	}
	if c.TicketLabels() != nil || c.TicketAnnotations() != nil || !c.Alerting.Ticket.Disable {
		t.Errorf("disabled ticket alert: labels %v, annotations %v", c.TicketLabels(), c.TicketAnnotations())
	}
	if c.Plugins != nil {
		t.Errorf("plugins = %v, want none", c.Plugins)
	}
	if got := c.FieldPosition("alerting.page_alert.labels.team"); got.Line != 27 {
		t.Errorf("page label team at %v, want line 27", got)
	}
	if got, want := c.FieldPath("labels.owner"), "labels.owner"; got != want {
		t.Errorf("FieldPath(labels.owner) = %q, want %q (the spec's)", got, want)
	}
	w := slos[1]
	if want := "1 - avg_over_time(wifi_up[{{.window}}])"; w.SLI.ErrorRatioQuery != want || w.SLI.ErrorQuery != "" {
		t.Errorf("raw SLI = %+v", w.SLI)
	}
	p := slos[2]
	if p.SLI.Plugin != "sloth-common/availability" || !reflect.DeepEqual(p.Plugins, []string{"sloth.dev/contrib/denominator_corrected_rules/v1"}) {
		t.Errorf("plugged: SLI plugin %q, plugins %v", p.SLI.Plugin, p.Plugins)
	}
	if a := slos[3]; a.ID() != "other-a1" || !reflect.DeepEqual(a.Plugins, []string{"sloth.dev/core/noop/v1"}) {
		t.Errorf("second document: %q, plugins %v", a.ID(), a.Plugins)
	}
}

// The Kubernetes resource reads as the spec, its fields camelCase.
func TestParseKubernetes(t *testing.T) {
	slos := parseFile(t, "k8s.yaml")
	if len(slos) != 1 {
		t.Fatalf("%d SLOs, want 1", len(slos))
	}
	s := slos[0]
	if !s.Kubernetes || s.ID() != "shop-checkout-availability" || s.SLI.ErrorQuery == "" || !s.Alerting.Ticket.Disable || s.PageLabels()["severity"] != "critical" {
		t.Errorf("resource read as %+v", s)
	}
	if s.Plugins != nil {
		t.Errorf("plugins = %v: overridePrevious drops the spec's", s.Plugins)
	}
	if got, want := s.FieldPath("sli.events.error_query"), "spec.slos[0].sli.events.errorQuery"; got != want {
		t.Errorf("FieldPath = %q, want %q", got, want)
	}
	if got := s.FieldPosition("sli.events.error_query"); got.Line != 21 || got.Column != 23 {
		t.Errorf("errorQuery at %v, want 21:23", got)
	}
}

// The objective is the percentage's decimal text moved two places, over
// sloth's 30 days; the tiers are sloth's, those of disabled alerts and
// those that cannot fire left out.
func TestObjectiveAndPolicy(t *testing.T) {
	slos := parseFile(t, "options.yaml")
	o, err := slos[0].AsObjective()
	if err != nil {
		t.Fatal(err)
	}
	if want := (slo.Objective{Name: "shop-checkout-availability", Target: 0.9995, Window: slo.Rolling(30 * 24 * time.Hour)}); o != want {
		t.Errorf("objective = %+v, want %+v", o, want)
	}
	p, omitted, err := slos[0].Policy(o)
	if err != nil || len(p.Tiers) != 2 || p.Tiers[0].Severity != slo.Page || p.Tiers[1].Severity != slo.Page || omitted != nil {
		t.Errorf("policy with the ticket disabled = %+v, %v, %v", p, omitted, err)
	}
	// At 90%, 14.4 × 0.1 is 1.44: the 1-hour page can never fire.
	o, _ = slos[3].AsObjective()
	p, omitted, err = slos[3].Policy(o)
	if err != nil || len(p.Tiers) != 3 || p.Tiers[0].Long != 6*time.Hour || len(omitted) != 1 || omitted[0].Tier.Long != time.Hour || !strings.Contains(omitted[0].Reason, "can never fire") {
		t.Errorf("policy at 90%% = %+v, omitted %v, %v", p, omitted, err)
	}
	o, _ = slos[2].AsObjective()
	if _, _, err := slos[2].Policy(o); err == nil || !strings.Contains(err.Error(), "both disabled") {
		t.Errorf("both alerts disabled: %v", err)
	}
	all := slo.DefaultPolicy().Tiers
	if !reflect.DeepEqual(sloth.Tiers(), all) {
		t.Errorf("Tiers() = %+v, want slo.DefaultPolicy's %+v", sloth.Tiers(), all)
	}
	for i, want := range []float64{14.4, 6, 3, 1} {
		if got := sloth.Tiers()[i].Threshold(sloth.DefaultWindow); got != want {
			t.Errorf("tier %d threshold = %v, want %v", i, got, want)
		}
	}
	hundred, err := sloth.Parse("x.yaml", []byte(strings.Replace(spec, "objective: 99.9", "objective: 100", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hundred[0].AsObjective(); err == nil {
		t.Error("objective 100: no error")
	}
}

const spec = `version: "prometheus/v1"
service: "svc"
slos:
  - name: "ok"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(x{code="500"}[{{.window}}]))
        total_query: sum(rate(x[{{.window}}]))
    alerting:
      name: A
`

// Each problem is at its line, the field named as the file spells it.
func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown field", "    objective: 99.9", "    objective: 99.9\n    window: 30d", `x.yaml:6:5: slos[0].window: unknown field; want one of name, description, objective, plugins, labels, sli, alerting`},
		{"objective out of range", "objective: 99.9", "objective: 0", `x.yaml:5:16: slos[0].objective 0: out of range (0, 100]: the objective is a percentage`},
		{"objective a ratio", "objective: 99.9", "objective: 0.995", `x.yaml:5:16: slos[0].objective 0.995: reads as 0.995%, a percentage under 1%: the objective is a percentage; for 99.5% write objective: 99.5`},
		{"objective not a number", "objective: 99.9", "objective: high", `x.yaml:5:16: slos[0].objective high: want a percentage such as 99.9`},
		{"no window", "x{code=\"500\"}[{{.window}}]", "x{code=\"500\"}[5m]", `x.yaml:8:22: slos[0].sli.events.error_query "sum(rate(x{code=\"500\"}[5m]))": has no {{.window}}: sloth's queries are templates over the window`},
		{"unclosed", `sum(rate(x{code="500"}[{{.window}}]))`, `sum(rate(x{code="500"}[{{.window}}])`, `x.yaml:8:22: slos[0].sli.events.error_query "sum(rate(x{code=\"500\"}[{{.window}}])": has a ( at character 4 that is never closed: Prometheus would refuse this query`},
		{"same queries", `sum(rate(x{code="500"}[{{.window}}]))`, `sum(rate(x[{{.window}}]))`, `x.yaml:9:22: slos[0].sli.events.total_query: is error_query: both queries can't be the same`},
		{"two SLIs", "      events:", "      raw: {error_ratio_query: \"x[{{.window}}]\"}\n      events:", `x.yaml:7:7: slos[0].sli: want exactly one of events, raw and plugin, got 2`},
		{"label not a string", "    alerting:", "    labels: {tier: 2}\n    alerting:", `x.yaml:10:20: slos[0].labels.tier 2: want a string (quote a number or a boolean)`},
		{"bad name", `name: "ok"`, `name: "-ok"`, `x.yaml:4:11: slos[0].name -ok: want letters, digits, '.', '_' and '-', starting and ending with a letter or digit`},
		{"no alert name", "      name: A", "      labels: {}", `x.yaml:11:7: slos[0].alerting.name: is missing: sloth names the page and ticket alerts with it`},
		{"no SLOs", "slos:", "slos: []\nx:", `x.yaml:3:1: slos: is missing or empty: a spec needs at least one SLO`},
		{"other version", "prometheus/v1", "prometheus/v2", `x.yaml:1:10: version prometheus/v2: unknown sloth version; want prometheus/v1`},
		{"one-character name", `name: "ok"`, `name: "a"`, `x.yaml:4:11: slos[0].name a: want at least 2 characters, as sloth does: letters, digits, '.', '_' and '-', starting and ending with a letter or digit`},
		{"objective quoted", "objective: 99.9", `objective: "99.9"`, `x.yaml:5:16: slos[0].objective 99.9: is a string: drop the quotes, objective: 99.9`},
		{"objective exponent", "objective: 99.9", "objective: 1e-300", `x.yaml:5:16: slos[0].objective 1e-300: is in exponent notation: write the percentage as a decimal number, such as 99.9`},
		{"objective too precise", "objective: 99.9", "objective: 99.99999999999999999", `x.yaml:5:16: slos[0].objective 99.99999999999999999: has 19 significant digits, more than a float64 holds (15): write at most 13 decimals`},
		{"other apiVersion", "version: \"prometheus/v1\"\nservice: \"svc\"", "apiVersion: sloth.slok.dev/v2\nkind: PrometheusServiceLevel\nspec:\n  service: \"svc\"", `x.yaml:1:13: apiVersion sloth.slok.dev/v2: unknown sloth apiVersion; want sloth.slok.dev/v1`},
		{"OpenSLO beside", "      name: A\n", "      name: A\n---\napiVersion: openslo/v1\nkind: SLO\n", `x.yaml:13:13: apiVersion openslo/v1: an OpenSLO document: one file cannot mix sloth specs and OpenSLO documents; move it to a file of its own`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(spec, tc.old) {
				t.Fatalf("spec has no %q", tc.old)
			}
			_, err := sloth.Parse("x.yaml", []byte(strings.Replace(spec, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, want %s", err, tc.want)
			}
			var e *sloth.Error
			if !errors.As(err, &e) {
				t.Errorf("%v is no *Error", err)
			}
		})
	}
	if _, err := sloth.Parse("empty.yaml", []byte("# nothing\n")); err == nil {
		t.Error("a file with no document: no error")
	}
	if sloth.Is([]byte("apiVersion: openslo/v1\nkind: SLO\n")) {
		t.Error("Is(OpenSLO) = true")
	}
	// Another sloth version is still sloth's, refused by Parse.
	if !sloth.Is([]byte("version: \"prometheus/v2\"\n")) || !sloth.Is([]byte("apiVersion: sloth.slok.dev/v1alpha1\n")) {
		t.Error("Is(another sloth version) = false")
	}
	// A YAML alias reads one node under several paths: each problem in it
	// is reported once, at its place.
	aliased := strings.Replace(spec, "objective: 99.9", "objective: 1e2", 1)
	aliased = strings.Replace(aliased, "slos:\n  - name:", "slos:\n  - &s\n    name:", 1) + "  - *s\n  - *s\n"
	if _, err := sloth.Parse("x.yaml", []byte(aliased)); err == nil || strings.Count(err.Error(), "exponent notation") != 1 || !strings.Contains(err.Error(), "slos[0].objective 1e2") {
		t.Errorf("slos [&s, *s, *s] with an objective in exponent notation: %v, want one problem, at slos[0]", err)
	}
	// A repeated key is one problem.
	_, err := sloth.Parse("x.yaml", []byte(strings.Replace(spec, `service: "svc"`, "service: \"svc\"\nservice: \"svc\"", 1)))
	if err == nil || strings.Count(err.Error(), "repeated field") != 1 {
		t.Errorf("repeated service: %v, want one problem", err)
	}
}

// A PrometheusServiceLevel's metadata is kept beside each of its SLOs:
// its name, namespace and labels, for what runkit writes of the resource.
func TestParseResourceMetadata(t *testing.T) {
	const doc = `apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: shop
  namespace: monitoring
  labels: {prometheus: default, team: payments}
  annotations: {note: kept out}
spec:
  service: shop
  slos:
    - name: a1
      objective: 99
      sli: {events: {errorQuery: "x[{{.window}}]", totalQuery: "y[{{.window}}]"}}
      alerting: {name: A}
    - name: b1
      objective: 99
      sli: {events: {errorQuery: "x[{{.window}}]", totalQuery: "y[{{.window}}]"}}
      alerting: {name: B}
`
	slos, err := sloth.Parse("psl.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := sloth.Metadata{Name: "shop", Namespace: "monitoring", Labels: map[string]string{"prometheus": "default", "team": "payments"},
		Position: sloth.Position{File: "psl.yaml", Line: 4, Column: 3}}
	for _, s := range slos {
		if !reflect.DeepEqual(s.Resource, want) {
			t.Errorf("%s: Resource = %+v, want %+v", s.ID(), s.Resource, want)
		}
	}
	_, err = sloth.Parse("psl.yaml", []byte(strings.Replace(doc, "team: payments", "team: 2", 1)))
	if err == nil || !strings.Contains(err.Error(), "psl.yaml:6:39: metadata.labels.team 2: want a string") {
		t.Errorf("a number as a label value: %v", err)
	}
}
