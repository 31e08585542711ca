// Command operator reads what runkit writes for Kubernetes with the
// Kubernetes projects' own code, for the tests of cmd/runkit, which keep
// those modules out of runkit's module. It is a module of its own.
//
//	operator rule RESOURCE FILE EXTRACTED
//
// decodes RESOURCE strictly into the Prometheus Operator's PrometheusRule
// and FILE, a rule file, strictly into its RuleGroups; prints what it read
// as JSON; and writes the resource's groups to EXTRACTED as a rule file.
//
//	operator names
//
// reads JSON strings, one a line, and writes for each a line of four
// verdicts (1 valid, 0 not) from Kubernetes's validation: DNS-1123
// subdomain, DNS-1123 label, qualified name (a label key), label value.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"reflect"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// read is what operator rule prints.
type read struct {
	APIVersion, Kind, Name, Namespace string
	Labels                            map[string]string
	// SameGroups is whether the resource's groups equal the file's.
	SameGroups bool
	// Exprs are the expressions of the resource's rules, in order.
	Exprs []string
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "operator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 4 && args[0] == "rule":
		return rule(args[1], args[2], args[3])
	case len(args) == 1 && args[0] == "names":
		return names()
	}
	return fmt.Errorf("usage: operator rule RESOURCE FILE EXTRACTED | operator names")
}

func rule(resource, file, extracted string) error {
	var pr monitoringv1.PrometheusRule
	if err := decode(resource, &pr); err != nil {
		return err
	}
	var f struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := decode(file, &f); err != nil {
		return err
	}
	r := read{
		APIVersion: pr.APIVersion, Kind: pr.Kind, Name: pr.Name, Namespace: pr.Namespace, Labels: pr.Labels,
		SameGroups: reflect.DeepEqual(f.Groups, pr.Spec.Groups),
	}
	for _, g := range pr.Spec.Groups {
		for _, rl := range g.Rules {
			r.Exprs = append(r.Exprs, rl.Expr.String())
		}
	}
	out, err := yaml.Marshal(map[string]any{"groups": pr.Spec.Groups})
	if err != nil {
		return err
	}
	if err := os.WriteFile(extracted, out, 0o644); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func decode(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func names() error {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	verdict := func(problems []string) int {
		if len(problems) == 0 {
			return 1
		}
		return 0
	}
	for in.Scan() {
		var s string
		if err := json.Unmarshal(in.Bytes(), &s); err != nil {
			return err
		}
		fmt.Fprintf(out, "%d %d %d %d\n",
			verdict(validation.IsDNS1123Subdomain(s)), verdict(validation.IsDNS1123Label(s)),
			verdict(validation.IsQualifiedName(s)), verdict(validation.IsValidLabelValue(s)))
	}
	return in.Err()
}
