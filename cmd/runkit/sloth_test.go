package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ybiyri/runkit/internal/promtest"
	"github.com/ybiyri/runkit/slo/openslo"
)

// runCLI runs runkit in-process and returns its standard output and
// error, failing t unless it exits 0.
func runCLI(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("runkit %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// burst is a scenario of traffic: history minutes at 2,000 requests a
// minute with histBad of them bad, then burnMinutes with burnBad bad,
// then history again for afterMinutes.
type burst struct {
	history, burnMinutes, after int
	histBad, burnBad            int
}

// series writes the scenario as promtool input series of the counter
// name, labelled code 200 and 500 beside the given matchers.
func (b burst) series(name, labels string) string {
	const perMinute = 2000
	bad := fmt.Sprintf("0+%dx%d %d+%dx%d %d+%dx%d", b.histBad, b.history,
		b.histBad*b.history+b.burnBad, b.burnBad, b.burnMinutes-1,
		b.histBad*b.history+b.burnBad*b.burnMinutes+b.histBad, b.histBad, b.after-1)
	g, gb := perMinute-b.histBad, perMinute-b.burnBad
	good := fmt.Sprintf("0+%dx%d %d+%dx%d %d+%dx%d", g, b.history,
		g*b.history+gb, gb, b.burnMinutes-1,
		g*b.history+gb*b.burnMinutes+g, g, b.after-1)
	return fmt.Sprintf(`      - series: '%s{%s,code="500"}'
        values: '%s'
      - series: '%s{%s,code="200"}'
        values: '%s'
`, name, labels, bad, name, labels, good)
}

func (b burst) end() int { return b.history + b.burnMinutes + b.after }

// span is the minutes from the burn's start to the end: what the
// assertions look over.
func (b burst) span() int { return b.burnMinutes + b.after }

// firing is 1 at each minute an alert matching sel fires, else 0.
func firing(sel string) string {
	return `(count(ALERTS{alertstate="firing",` + sel + `}) > bool 0 or vector(0))`
}

// sameFiring is the number of minutes of the last span at which exactly one of
// the two alerts fires.
func sameFiring(a, b string, span int) string {
	return fmt.Sprintf(`sum_over_time((%s != bool %s)[%dm:1m])`, firing(a), firing(b), span)
}

// laterBy is 1 when the alert b first fires in the last span when a
// does or at most a Step (5m) after, else 0; nothing when either never
// fires.
func laterBy(a, b string, span int) string {
	d := fmt.Sprintf(`((%s) - (%s))`, firstFiring(b, span), firstFiring(a, span))
	return "(" + d + " >= bool 0) * (" + d + " <= bool 300)"
}

// withinAMinute is 1 when the alerts a and b first fire in the last
// span at most a minute apart, else 0; nothing when either never fires.
func withinAMinute(a, b string, span int) string {
	d := fmt.Sprintf(`((%s) - (%s))`, firstFiring(b, span), firstFiring(a, span))
	return "(" + d + " >= bool -60) * (" + d + " <= bool 60)"
}

// firstFiring is the first minute of the last span at which an alert
// matching sel fires.
func firstFiring(sel string, span int) string {
	return fmt.Sprintf(`min_over_time(timestamp(count(ALERTS{alertstate="firing",%s}))[%dm:1m])`, sel, span)
}

// evalOrder is the group_eval_order of a promtool test over rule files,
// which promtool otherwise evaluates in a random order: each file's
// groups as the file has them, sloth's recordings before its alerts, and
// runkit's group of recorded events before the group that sums them, so
// that every alert reads what was recorded at the same evaluation, as in
// a Prometheus whose groups all keep up.
func evalOrder(t *testing.T, files ...string) string {
	t.Helper()
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf struct{ Groups []struct{ Name string } }
		if err := yaml.Unmarshal(data, &rf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var slo []string
		for _, g := range rf.Groups {
			if strings.HasPrefix(g.Name, "runkit-slo-") {
				slo = append(slo, g.Name)
				continue
			}
			names = append(names, g.Name)
		}
		names = append(names, slo...)
	}
	var b strings.Builder
	b.WriteString("group_eval_order:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - %q\n", n)
	}
	return b.String()
}

// The rules runkit writes from a sloth spec fire when the rules sloth
// wrote from it (committed in testdata/sloth, see its README) fire, on the
// same series, evaluated by promtool test rules in one run: a spike of 2%
// errors after a day at 0.05% pages at the same minutes in both; a
// slow burn at 0.4% tickets in both, within a Step of each other (runkit's
// windows of a day or more sum the events it records every 5m, sloth's
// read the raw counters; with --raw-windows, within a minute), and
// pages in neither; with page_alert disabled
// a spike of 20% pages in neither and tickets in both, as apart. Each scenario's
// series start at 0 with the rules, so both have the history their 3-day
// windows read (the same for both).
func TestSlothRulesFireAsSlothsDo(t *testing.T) {
	promtool := promtest.Tool(t, "promtool")
	dir := t.TempDir()
	rules := func(spec string, flags ...string) (sloth, runkit string) {
		runkit = filepath.Join(dir, strings.TrimSuffix(spec, ".yaml")+strings.Join(flags, "")+".runkit-rules.yaml")
		runCLI(t, append([]string{"slo", "rules", filepath.Join("testdata", "sloth", spec), "-o", runkit}, flags...)...)
		sloth, err := filepath.Abs(filepath.Join("testdata", "sloth", strings.TrimSuffix(spec, ".yaml")+".sloth-rules.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return sloth, runkit
	}
	slothRules, runkitRules := rules("myservice.yaml")
	slothNoPage, runkitNoPage := rules("nopage.yaml")

	const (
		slothPage    = `alertname="MyServiceHighErrorRate",sloth_severity="page"`
		slothTicket  = `alertname="MyServiceHighErrorRate",sloth_severity="ticket"`
		runkitPage   = `alertname="SLOErrorBudgetBurn",slo="myservice-requests-availability",severity="critical"`
		runkitTicket = `alertname="SLOErrorBudgetBurn",slo="myservice-requests-availability",severity="warning"`
	)
	spike := burst{history: 1440, burnMinutes: 120, after: 240, histBad: 1, burnBad: 40}
	slow := burst{history: 1440, burnMinutes: 6 * 60, after: 60, histBad: 1, burnBad: 8}
	assert := func(expr string, end int, want int) string {
		return fmt.Sprintf(`      - expr: '%s'
        eval_time: %dm
        exp_samples:
          - value: %d
`, expr, end, want)
	}
	var tests strings.Builder
	tests.WriteString("  - interval: 1m\n    input_series:\n")
	tests.WriteString(spike.series("http_requests_total", `job="myservice"`))
	tests.WriteString("    promql_expr_test:\n")
	e, w := spike.end(), spike.span()
	tests.WriteString(assert(sameFiring(slothPage, runkitPage, w), e, 0))
	tests.WriteString(assert(fmt.Sprintf(`sum_over_time(%s[%dm:1m]) > bool 0`, firing(slothPage), w), e, 1))
	tests.WriteString(assert(fmt.Sprintf(`(%s) - (%s)`, firstFiring(slothPage, w), firstFiring(runkitPage, w)), e, 0))

	tests.WriteString("  - interval: 1m\n    input_series:\n")
	tests.WriteString(slow.series("http_requests_total", `job="myservice"`))
	tests.WriteString("    promql_expr_test:\n")
	e, w = slow.end(), slow.span()
	tests.WriteString(assert(fmt.Sprintf(`sum_over_time(%s[%dm:1m]) + sum_over_time(%s[%dm:1m])`, firing(slothPage), w, firing(runkitPage), w), e, 0))
	tests.WriteString(assert(fmt.Sprintf(`sum_over_time(%s[%dm:1m]) > bool 0`, firing(slothTicket), w), e, 1))
	tests.WriteString(assert(laterBy(slothTicket, runkitTicket, w), e, 1))
	test := fmt.Sprintf("rule_files: [%q, %q]\nevaluation_interval: 1m\n%stests:\n%s", slothRules, runkitRules, evalOrder(t, slothRules, runkitRules), tests.String())

	// With --raw-windows, which reads every window from the counters as
	// sloth's rules do, the ticket fires within a minute of sloth's: one
	// evaluation, where a ratio exactly at the threshold is a tie that
	// runkit's ratio / budget > threshold and sloth's ratio > threshold *
	// budget break apart in the last bit.
	_, runkitRaw := rules("myservice.yaml", "--raw-windows")
	var raw strings.Builder
	raw.WriteString("  - interval: 1m\n    input_series:\n")
	raw.WriteString(slow.series("http_requests_total", `job="myservice"`))
	raw.WriteString("    promql_expr_test:\n")
	e, w = slow.end(), slow.span()
	raw.WriteString(assert(fmt.Sprintf(`sum_over_time(%s[%dm:1m]) > bool 0`, firing(slothTicket), w), e, 1))
	raw.WriteString(assert(withinAMinute(slothTicket, runkitTicket, w), e, 1))
	raw.WriteString(assert(sameFiring(slothPage, runkitPage, w), e, 0))
	testRaw := fmt.Sprintf("rule_files: [%q, %q]\nevaluation_interval: 1m\n%stests:\n%s", slothRules, runkitRaw, evalOrder(t, slothRules, runkitRaw), raw.String())

	const (
		noPageSloth  = `alertname="BatchJobsFailing",sloth_severity="page"`
		noPageRunkit = `alertname="SLOErrorBudgetBurn",slo="batch-jobs-success",severity="page"`
		ticketSloth  = `alertname="BatchJobsFailing",sloth_severity="ticket"`
		ticketRunkit = `alertname="SLOErrorBudgetBurn",slo="batch-jobs-success",severity="warning"`
	)
	bigSpike := burst{history: 1440, burnMinutes: 180, after: 60, histBad: 1, burnBad: 400}
	var noPage strings.Builder
	noPage.WriteString("  - interval: 1m\n    input_series:\n")
	noPage.WriteString(bigSpike.series("jobs_total", `job="batch"`))
	noPage.WriteString("    promql_expr_test:\n")
	e, w = bigSpike.end(), bigSpike.span()
	noPage.WriteString(assert(fmt.Sprintf(`sum_over_time(%s[%dm:1m]) + sum_over_time(%s[%dm:1m])`, firing(noPageSloth), w, firing(noPageRunkit), w), e, 0))
	noPage.WriteString(assert(fmt.Sprintf(`sum_over_time(%s[%dm:1m]) > bool 0`, firing(ticketSloth), w), e, 1))
	noPage.WriteString(assert(laterBy(ticketSloth, ticketRunkit, w), e, 1))
	// The spec's jobs series say result, not code.
	noPageTest := strings.ReplaceAll(noPage.String(), `code="500"`, `result="failed"`)
	noPageTest = strings.ReplaceAll(noPageTest, `code="200"`, `result="ok"`)
	test2 := fmt.Sprintf("rule_files: [%q, %q]\nevaluation_interval: 1m\n%stests:\n%s", slothNoPage, runkitNoPage, evalOrder(t, slothNoPage, runkitNoPage), noPageTest)

	for name, body := range map[string]string{"myservice-test.yaml": test, "nopage-test.yaml": test2, "raw-windows-test.yaml": testRaw} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(promtool, "test", "rules", path).CombinedOutput()
		if err != nil {
			t.Errorf("promtool test rules %s: %v\n%s\ntest file:\n%s", name, err, out, body)
		}
	}
}

// A sloth spec converted to OpenSLO reads back with slo/openslo as the
// SLOs runkit reads from the spec itself, and slo rules writes the same
// rules from either (the OpenSLO file given the --severity convert's note
// names); a PrometheusServiceLevel writes the rules of the prometheus/v1
// spec with the same content.
func TestSlothConvertRoundTrip(t *testing.T) {
	dir := t.TempDir()
	direct := map[string]string{}
	for _, spec := range []string{"myservice.yaml", "nopage.yaml", "k8s.yaml"} {
		path := filepath.Join("testdata", "sloth", spec)
		rules, _ := runCLI(t, "slo", "rules", path)
		direct[spec] = rules
		converted := filepath.Join(dir, spec)
		_, stderr := runCLI(t, "slo", "convert", "--to", "openslo", path, "-o", converted)
		data, err := os.ReadFile(converted)
		if err != nil {
			t.Fatal(err)
		}
		back, err := openslo.Parse(converted, data)
		if err != nil {
			t.Fatalf("%s converted does not parse: %v\n%s", spec, err, data)
		}
		in, err := readInput([]string{path}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != len(in.slos) {
			t.Fatalf("%s: %d SLOs read back, want %d", spec, len(back), len(in.slos))
		}
		for i := range back {
			got, want := back[i], in.slos[i]
			if got.Name != want.Name || !reflect.DeepEqual(got.Objectives, want.Objectives) || !reflect.DeepEqual(got.Policy(), want.Policy()) || !reflect.DeepEqual(got.Labels, want.Labels) || !reflect.DeepEqual(got.Annotations, want.Annotations) {
				t.Errorf("%s: read back %+v\nwant %+v", spec, got, want)
			}
			gb, gg, gt, err1 := got.Indicator.PromQL()
			wb, wg, wt, err2 := want.Indicator.PromQL()
			if gb != wb || gg != wg || gt != wt || err1 != nil || err2 != nil {
				t.Errorf("%s: queries read back %q %q %q (%v), want %q %q %q (%v)", spec, gb, gg, gt, err1, wb, wg, wt, err2)
			}
		}
		args := []string{"slo", "rules", converted}
		if _, flag, ok := strings.Cut(stderr, "give slo rules --severity "); ok {
			args = append(args, "--severity", strings.TrimSpace(strings.SplitN(flag, "\n", 2)[0]))
		}
		fromOpenSLO, _ := runCLI(t, args...)
		if fromOpenSLO != rules {
			t.Errorf("%s: rules from the converted file differ from the spec's:\n%s\nwant\n%s", spec, fromOpenSLO, rules)
		}
	}
	if direct["k8s.yaml"] != direct["myservice.yaml"] {
		t.Errorf("the PrometheusServiceLevel's rules differ from the prometheus/v1 spec's:\n%s\nwant\n%s", direct["k8s.yaml"], direct["myservice.yaml"])
	}
}

// sloth files hold at most openslo.MaxBytes together: more is a problem
// naming the file that crosses it.
func TestSlothFilesLimit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.yaml")
	data := append([]byte("version: prometheus/v1\n"), bytes.Repeat([]byte("# padding padding padding padding\n"), openslo.MaxBytes/34+1)...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := readInput([]string{path}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), path+": the sloth files read hold more than 8388608 bytes with this one, over openslo.MaxBytes") {
		t.Errorf("readInput of %d bytes: %v", len(data), err)
	}
}
