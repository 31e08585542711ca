package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The formats slo rules writes.
const (
	// rulesFile is the rule file Prometheus loads.
	rulesFile = "rules"
	// prometheusRule is the same groups in a PrometheusRule, the
	// resource of the Prometheus Operator that carries a rule file in
	// Kubernetes.
	prometheusRule = "prometheusrule"
)

// ruleFormat is the --format flag of slo rules.
type ruleFormat string

func (f *ruleFormat) String() string { return string(*f) }
func (f *ruleFormat) Type() string   { return "rules|prometheusrule" }

func (f *ruleFormat) Set(s string) error {
	switch s {
	case rulesFile, prometheusRule:
		*f = ruleFormat(s)
		return nil
	}
	return fmt.Errorf("want rules or prometheusrule")
}

// objectMeta is the metadata of the PrometheusRule, checked as the
// Kubernetes API server checks it.
type objectMeta struct {
	name      string
	namespace string
	labels    [][2]string // sorted by key
}

// parseLabels reads the --label flags, each KEY=VALUE, into labels sorted
// by key, or says which one is wrong and why.
func parseLabels(flags []string) ([][2]string, error) {
	var labels [][2]string
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--label %s: want KEY=VALUE, such as app.kubernetes.io/part-of=payments", f)
		}
		if msg := labelKeyProblem(k); msg != "" {
			return nil, fmt.Errorf("--label %s: the key %q %s", f, k, msg)
		}
		if msg := labelValueProblem(v); msg != "" {
			return nil, fmt.Errorf("--label %s: the value %q %s", f, v, msg)
		}
		if slices.ContainsFunc(labels, func(l [2]string) bool { return l[0] == k }) {
			return nil, fmt.Errorf("--label %s: the key %s is given twice", f, k)
		}
		labels = append(labels, [2]string{k, v})
	}
	slices.SortFunc(labels, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return labels, nil
}

// labelKeyProblem says why k is not a Kubernetes label key, or is "" when
// it is one: an optional prefix, a DNS subdomain, and a slash, then a
// name of 1 to 63 letters, digits, '-', '_' and '.', starting and ending
// with a letter or digit.
func labelKeyProblem(k string) string {
	prefix, name, hasPrefix := strings.Cut(k, "/")
	if hasPrefix {
		if msg := subdomainProblem(prefix); msg != "" {
			return "has a prefix that " + msg
		}
	} else {
		name = prefix
	}
	if msg := qualifiedNameProblem(name); msg != "" {
		return "is not a label key: its name (after an optional DNS-subdomain prefix and /) " + msg
	}
	return ""
}

// labelValueProblem says why v is not a Kubernetes label value, or is ""
// when it is one: empty, or a name as in a key. It says what is wrong with
// this value, then what a value may be.
func labelValueProblem(v string) string {
	if v == "" {
		return ""
	}
	if msg := qualifiedNameProblem(v); msg != "" {
		return "is not a label value: it " + strings.Replace(msg, "; want ", "; want an empty value or ", 1)
	}
	return ""
}

// qualifiedNameProblem checks the name part of a label key, which a
// label value follows too.
func qualifiedNameProblem(s string) string {
	const rule = "1 to 63 ASCII letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
	switch {
	case s == "":
		return "is empty; want " + rule
	case len(s) > 63:
		return fmt.Sprintf("is %d characters long; want %s", len(s), rule)
	case !alnum(s[0]) || !alnum(s[len(s)-1]):
		return "does not start and end with a letter or digit; want " + rule
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '-' && c != '_' && c != '.' {
			return fmt.Sprintf("holds %q; want %s", rune(c), rule)
		}
	}
	return ""
}

// dnsLabelProblem says why s is not a DNS-1123 label, as a namespace must
// be, or is "" when it is one.
func dnsLabelProblem(s string) string {
	const rule = "a DNS-1123 label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
	switch {
	case s == "":
		return "is empty; want " + rule
	case len(s) > 63:
		return fmt.Sprintf("is %d characters long; want %s", len(s), rule)
	case !lowerAlnum(s[0]) || !lowerAlnum(s[len(s)-1]):
		return "does not start and end with a lowercase letter or digit; want " + rule
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !lowerAlnum(c) && c != '-' {
			return fmt.Sprintf("holds %q; want %s", rune(c), rule)
		}
	}
	return ""
}

// subdomainProblem says why s is not a DNS-1123 subdomain, as an object's
// name and a label key's prefix must be, or is "" when it is one.
func subdomainProblem(s string) string {
	const rule = "a DNS-1123 subdomain: up to 253 characters, dot-separated lowercase letters, digits and '-', each part starting and ending with a letter or digit"
	switch {
	case s == "":
		return "is empty; want " + rule
	case len(s) > 253:
		return fmt.Sprintf("is %d characters long; want %s", len(s), rule)
	}
	for _, part := range strings.Split(s, ".") {
		switch {
		case part == "":
			return "has an empty part between dots; want " + rule
		case (!lowerAlnum(part[0]) || !lowerAlnum(part[len(part)-1])) && part == s:
			return "does not start and end with a lowercase letter or digit; want " + rule
		case !lowerAlnum(part[0]) || !lowerAlnum(part[len(part)-1]):
			return fmt.Sprintf("has a part %q that does not start and end with a lowercase letter or digit; want %s", part, rule)
		}
		for i := 0; i < len(part); i++ {
			if c := part[i]; !lowerAlnum(c) && c != '-' {
				return fmt.Sprintf("holds %q; want %s", rune(c), rule)
			}
		}
	}
	return ""
}

func lowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func alnum(c byte) bool      { return lowerAlnum(c) || c >= 'A' && c <= 'Z' }

// writePrometheusRule writes the PrometheusRule of meta whose spec holds
// the rule file rules writes: its groups: key nested under spec:, every
// line indented, so that the groups are the file's, byte for byte.
func writePrometheusRule(w io.Writer, meta objectMeta, rules func(io.Writer) error) error {
	// The metadata's characters are those checked above, none of which
	// YAML escapes; quoted, a label value such as "true" or "1" stays a
	// string.
	var b strings.Builder
	b.WriteString("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n")
	fmt.Fprintf(&b, "  name: %q\n", meta.name)
	if meta.namespace != "" {
		fmt.Fprintf(&b, "  namespace: %q\n", meta.namespace)
	}
	if len(meta.labels) > 0 {
		b.WriteString("  labels:\n")
		for _, l := range meta.labels {
			fmt.Fprintf(&b, "    %q: %q\n", l[0], l[1])
		}
	}
	b.WriteString("spec:\n")
	return rules(&indentWriter{w: w, head: b.String(), indent: "  ", bol: true})
}

// indentWriter writes every line through it indented, as YAML nests a
// document under a key: the rule file has no document markers or
// directives, and a block indented as a whole keeps its structure. Its
// head goes first, with the first bytes, so that rules that fail before
// writing anything leave nothing written.
type indentWriter struct {
	w      io.Writer
	head   string
	indent string
	// bol is whether the next byte starts a line.
	bol bool
	buf []byte
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	n := len(p)
	iw.buf = append(iw.buf[:0], iw.head...)
	iw.head = ""
	for len(p) > 0 {
		if iw.bol && p[0] != '\n' {
			iw.buf = append(iw.buf, iw.indent...)
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			iw.buf = append(iw.buf, p...)
			iw.bol = false
			break
		}
		iw.buf = append(iw.buf, p[:i+1]...)
		iw.bol = true
		p = p[i+1:]
	}
	if _, err := iw.w.Write(iw.buf); err != nil {
		return 0, err
	}
	return n, nil
}
