package sloth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ybiyri/runkit/internal/fileerr"
	"github.com/ybiyri/runkit/internal/promql"
)

// The two forms of a sloth spec this package reads.
const (
	// Version is the version of sloth's own spec.
	Version = "prometheus/v1"
	// APIVersion and Kind name sloth's Kubernetes resource, whose spec
	// holds the same content with camelCase field names.
	APIVersion = "sloth.slok.dev/v1"
	Kind       = "PrometheusServiceLevel"
)

// SLO is one SLO of a sloth spec, with what the spec around it gives
// every SLO (service, labels, SLO plugins) filled in.
type SLO struct {
	// Service is the spec's service.
	Service string
	// Name is the SLO's name; ID joins the two.
	Name        string
	Description string
	// Objective is the objective as sloth writes it, a percentage in
	// (0, 100]: 99.9.
	Objective float64
	// Labels are the spec's labels merged with the SLO's, the SLO's
	// winning, as sloth merges them: labels of every rule.
	Labels map[string]string
	SLI    SLI
	// Alerting is the SLO's alerting block.
	Alerting Alerting
	// Plugins lists the ids of the SLO plugins in the SLO's chain: the
	// spec's slo_plugins and the SLO's plugins (not those its
	// overridePrevious drops).
	Plugins []string
	// Kubernetes is true for an SLO of a PrometheusServiceLevel resource.
	Kubernetes bool
	// Resource is the metadata of that resource; zero for a
	// prometheus/v1 spec.
	Resource Metadata
	// Position is where the SLO's entry starts.
	Position Position

	objectiveText string
	prefix        string
	fields        map[string]field
}

// SLI is an SLO's indicator: exactly one of events, raw and plugin.
type SLI struct {
	// ErrorQuery and TotalQuery are the events SLI's queries, templates
	// over {{.window}}.
	ErrorQuery, TotalQuery string
	// ErrorRatioQuery is the raw SLI's query, an error ratio (0-1).
	ErrorRatioQuery string
	// Plugin is the id of an SLI plugin.
	Plugin string
}

// Alerting is the alerting block of an SLO.
type Alerting struct {
	// Name is the name of both alerts.
	Name string
	// Labels and Annotations are those of both alerts.
	Labels, Annotations map[string]string
	// Page is the page alert (sloth's fast burn tiers), Ticket the
	// ticket alert (its slow burn tiers).
	Page, Ticket Alert
}

// Alert is the page or the ticket alert of an SLO.
type Alert struct {
	// Disable leaves the alert out.
	Disable bool
	// Labels and Annotations are the alert's own, over Alerting's.
	Labels, Annotations map[string]string
}

// Metadata is what a PrometheusServiceLevel's metadata says of the
// resource: its name, namespace and labels, and where the metadata is
// (where the document starts, without one). Its other fields
// (annotations, uid) are allowed and not kept.
type Metadata struct {
	Name, Namespace string
	Labels          map[string]string
	Position        Position
}

// Position is a place in a file; Line and Column count from 1.
type Position struct {
	File         string
	Line, Column int
}

func (p Position) String() string { return fileerr.Place(p.File, p.Line, p.Column) }

// Error is one problem in a file: where, the field (as the file spells
// it), the value as written, and what is wrong.
type Error struct {
	Position
	Field, Value, Msg string
}

func (e *Error) Error() string {
	return fileerr.Message(e.Position, e.Field, e.Value, e.Msg)
}

// field is where a field of an SLO was read: its path as the file spells
// it, and its place.
type field struct {
	path string
	pos  Position
}

// FieldPath returns the path of a field of the SLO as the file spells it,
// given its name in the prometheus/v1 spelling relative to the SLO:
// "sli.events.error_query" is "slos[0].sli.events.error_query" in a
// prometheus/v1 file and "spec.slos[0].sli.events.errorQuery" in a
// PrometheusServiceLevel. A label merged from the spec's labels is at
// its place there ("labels.team").
func (s SLO) FieldPath(name string) string {
	if f, ok := s.fields[name]; ok {
		return f.path
	}
	return s.prefix + "." + spell(name, s.Kubernetes)
}

// Has reports whether the file gives the field name (as FieldPath takes
// it): a label of the page alert's own is "alerting.page_alert.labels.K".
func (s SLO) Has(name string) bool {
	_, ok := s.fields[name]
	return ok
}

// FieldPosition returns where the field name (as FieldPath takes it) was
// read or, when the file leaves it out, where its nearest enclosing
// field is, and at last where the SLO starts.
func (s SLO) FieldPosition(name string) Position {
	for name != "" {
		if f, ok := s.fields[name]; ok {
			return f.pos
		}
		i := strings.LastIndexAny(name, ".")
		if i < 0 {
			break
		}
		name = name[:i]
	}
	return s.Position
}

// camel are the fields the Kubernetes resource spells in camelCase.
var camel = map[string]string{
	"error_query": "errorQuery", "total_query": "totalQuery", "error_ratio_query": "errorRatioQuery",
	"page_alert": "pageAlert", "ticket_alert": "ticketAlert", "slo_plugins": "sloPlugins",
}

// canonical is the prometheus/v1 name of a field the file spells k.
func canonical(k string) string {
	for c, v := range camel {
		if v == k {
			return c
		}
	}
	return k
}

// spell writes a path of prometheus/v1 names as the file spells it. Only
// the known fields change; a label's key is itself.
func spell(name string, kubernetes bool) string {
	if !kubernetes {
		return name
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if c, ok := camel[p]; ok {
			parts[i] = c
		}
		if p == "labels" || p == "annotations" || p == "options" {
			break
		}
	}
	return strings.Join(parts, ".")
}

// isSpec matches the line that makes a document a sloth spec, as sloth
// itself recognises its spec, or the apiVersion of its resource.
var isSpec = regexp.MustCompile(`(?m)^(?:version:[ \t]*["']?prometheus/v[0-9][0-9A-Za-z.]*["']?|apiVersion:[ \t]*["']?sloth\.slok\.dev/v[0-9][0-9A-Za-z.]*["']?)[ \t]*(?:#.*)?\r?$`)

// Is reports whether data, a file or its start, is a sloth spec: a
// document in it says version: prometheus/v1 or apiVersion:
// sloth.slok.dev/v1 at the start of a line, or another version of either
// (prometheus/v2), which Parse then refuses as an unknown sloth version.
// It reads no YAML, so that a caller can tell sloth files from OpenSLO
// files before parsing either.
func Is(data []byte) bool { return isSpec.Match(data) }

// Parse reads the sloth specs in data, the file name: documents separated
// by "---", each a prometheus/v1 spec or a PrometheusServiceLevel.
// Decoding is strict, as sloth's own: an unknown field, a value of the
// wrong type, a missing or bad value is an *Error at file:line:column,
// and every problem found is returned, joined with errors.Join. A file
// with no document is an error; so is a document of another kind.
func Parse(name string, data []byte) ([]SLO, error) {
	r := &reader{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	var slos []SLO
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			r.errs = append(r.errs, &Error{Position: Position{File: name, Line: yamlLine(err)}, Msg: strings.TrimPrefix(err.Error(), "yaml: ")})
			break
		}
		if len(n.Content) == 0 || n.Content[0].Tag == "!!null" {
			continue
		}
		docs++
		slos = append(slos, r.document(n.Content[0])...)
	}
	if docs == 0 && len(r.errs) == 0 {
		r.errs = append(r.errs, &Error{Position: Position{File: name, Line: 1, Column: 1}, Msg: "holds no document; want a sloth spec (version: prometheus/v1)"})
	}
	if len(r.errs) > 0 {
		// A field read twice (a document's top level is), or a node YAML
		// aliases read under several paths, is one problem.
		seen := map[string]bool{}
		errs := r.errs[:0]
		for _, err := range r.errs {
			k := err.Error()
			if e, ok := err.(*Error); ok {
				k = fileerr.Key(e.Position, e.Field, e.Value, e.Msg)
			}
			if !seen[k] {
				seen[k] = true
				errs = append(errs, err)
			}
		}
		return nil, errors.Join(errs...)
	}
	return slos, nil
}

var lineNumber = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	if m := lineNumber.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

type reader struct {
	file string
	errs []error
}

func (r *reader) pos(n *yaml.Node) Position {
	return Position{File: r.file, Line: n.Line, Column: n.Column}
}

func (r *reader) fail(n *yaml.Node, path, value, format string, args ...any) {
	r.errs = append(r.errs, &Error{Position: r.pos(n), Field: path, Value: value, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping reads a mapping whose keys must be among allowed (nil allows
// any key), refusing repeated keys. It returns each key's value and key
// nodes.
func (r *reader) mapping(n *yaml.Node, path string, allowed ...string) (values map[string]*yaml.Node, keys map[string]*yaml.Node, order []string) {
	values, keys = map[string]*yaml.Node{}, map[string]*yaml.Node{}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		r.fail(n, path, scalar(n), "want a mapping")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		switch _, dup := values[k.Value]; {
		case allowed != nil && !contains(allowed, k.Value):
			r.fail(k, join(path, k.Value), "", "unknown field; want one of %s", strings.Join(allowed, ", "))
			continue
		case dup:
			r.fail(k, join(path, k.Value), "", "repeated field")
			continue
		}
		values[k.Value], keys[k.Value] = v, k
		order = append(order, k.Value)
	}
	return
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func scalar(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// str reads a string; a number or a boolean where sloth wants a string
// is an error, as it is to sloth.
func (r *reader) str(n *yaml.Node, path string) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		r.fail(n, path, scalar(n), "want a string (quote a number or a boolean)")
		return "", false
	}
	return n.Value, true
}

// stringMap reads labels or annotations, recording where each is.
func (r *reader) stringMap(n *yaml.Node, path string, at func(key, path string, n *yaml.Node)) map[string]string {
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	values, keys, order := r.mapping(n, path)
	out := make(map[string]string, len(values))
	for _, k := range order {
		p := join(path, k)
		if v, ok := r.str(values[k], p); ok {
			out[k] = v
			at(k, p, keys[k])
		}
	}
	return out
}

// nameRegexp is sloth's rule for a service's and an SLO's name.
var nameRegexp = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$`)

// windowVar finds sloth's window variable, spaces allowed as sloth allows
// them.
var windowVar = regexp.MustCompile(`{{ *\.window *}}`)

func (r *reader) document(n *yaml.Node) []SLO {
	values, _, _ := r.mapping(n, "")
	if len(r.errs) > 0 && values == nil {
		return nil
	}
	if v, ok := values["version"]; ok {
		if v.Value != Version {
			r.fail(v, "version", v.Value, "unknown sloth version; want %s", Version)
			return nil
		}
		return r.spec(n, "", false)
	}
	av, kind := values["apiVersion"], values["kind"]
	switch {
	case av != nil && strings.HasPrefix(av.Value, "openslo/"):
		r.fail(av, "apiVersion", av.Value, "an OpenSLO document: one file cannot mix sloth specs and OpenSLO documents; move it to a file of its own")
		return nil
	case av != nil && strings.HasPrefix(av.Value, "sloth.slok.dev/") && av.Value != APIVersion:
		r.fail(av, "apiVersion", av.Value, "unknown sloth apiVersion; want %s", APIVersion)
		return nil
	case av == nil || av.Value != APIVersion:
		r.fail(n, "", "", "is not a sloth spec: want version: %s, or apiVersion: %s with kind: %s", Version, APIVersion, Kind)
		return nil
	case kind == nil || kind.Value != Kind:
		at, v := n, ""
		if kind != nil {
			at, v = kind, kind.Value
		}
		r.fail(at, "kind", v, "want %s: it is the only sloth resource holding SLOs", Kind)
		return nil
	}
	r.mapping(n, "", "apiVersion", "kind", "metadata", "spec", "status")
	spec, ok := values["spec"]
	if !ok {
		r.fail(n, "spec", "", "is missing")
		return nil
	}
	meta := Metadata{Position: r.pos(n)}
	if m := values["metadata"]; m != nil && m.Tag != "!!null" {
		meta.Position = r.pos(m)
		mv, _, _ := r.mapping(m, "metadata")
		if v := mv["name"]; v != nil {
			meta.Name, _ = r.str(v, "metadata.name")
		}
		if v := mv["namespace"]; v != nil {
			meta.Namespace, _ = r.str(v, "metadata.namespace")
		}
		meta.Labels = r.stringMap(mv["labels"], "metadata.labels", func(string, string, *yaml.Node) {})
	}
	slos := r.spec(spec, "spec", true)
	for i := range slos {
		slos[i].Resource = meta
	}
	return slos
}

// spec reads a spec's fields at path: the document for prometheus/v1, its
// spec for the resource.
func (r *reader) spec(n *yaml.Node, path string, k8s bool) []SLO {
	key := func(name string) string { return spell(name, k8s) }
	allowed := []string{"service", "labels", key("slo_plugins"), "slos"}
	if !k8s {
		allowed = append([]string{"version"}, allowed...)
	}
	values, keys, _ := r.mapping(n, path, allowed...)
	if values == nil {
		return nil
	}
	service, ok := r.str(values["service"], join(path, "service"))
	switch {
	case values["service"] == nil:
		r.fail(n, join(path, "service"), "", "is missing")
	case ok && !nameRegexp.MatchString(service):
		r.fail(values["service"], join(path, "service"), service, "%s", nameProblem(service))
	}
	labelAt := map[string]field{}
	labels := r.stringMap(values["labels"], join(path, "labels"), func(k, p string, n *yaml.Node) { labelAt[k] = field{p, r.pos(n)} })
	// The spec's overridePrevious drops sloth's default plugins, which
	// runkit does not run anyway.
	chain, _ := r.plugins(values[key("slo_plugins")], join(path, key("slo_plugins")))
	slosNode, ok := values["slos"]
	if !ok || slosNode.Kind == yaml.SequenceNode && len(slosNode.Content) == 0 {
		at := n
		if ok {
			at = keys["slos"]
		}
		r.fail(at, join(path, "slos"), "", "is missing or empty: a spec needs at least one SLO")
		return nil
	}
	if slosNode.Kind != yaml.SequenceNode {
		r.fail(slosNode, join(path, "slos"), scalar(slosNode), "want a list of SLOs")
		return nil
	}
	var out []SLO
	seen := map[string]bool{}
	for i, sn := range slosNode.Content {
		p := fmt.Sprintf("%s[%d]", join(path, "slos"), i)
		s := SLO{Service: service, Kubernetes: k8s, Position: r.pos(sn), prefix: p, fields: map[string]field{}}
		s.Labels = map[string]string{}
		for k, v := range labels {
			s.Labels[k] = v
			s.fields["labels."+k] = labelAt[k]
		}
		if r.slo(sn, p, &s, chain) {
			if seen[s.Name] {
				r.fail(sn, join(p, "name"), s.Name, "repeated: another SLO of the spec has this name")
				continue
			}
			seen[s.Name] = true
			out = append(out, s)
		}
	}
	return out
}

// plugins reads an SLO plugin block and returns its ids, and whether it
// overrides the plugins before it.
func (r *reader) plugins(n *yaml.Node, path string) (ids []string, override bool) {
	if n == nil || n.Tag == "!!null" {
		return nil, false
	}
	values, _, _ := r.mapping(n, path, "overridePrevious", "chain")
	if v := values["overridePrevious"]; v != nil {
		if v.Tag != "!!bool" {
			r.fail(v, join(path, "overridePrevious"), scalar(v), "want true or false")
		}
		override = v.Value == "true"
	}
	c := values["chain"]
	if c == nil {
		return nil, override
	}
	if c.Kind != yaml.SequenceNode {
		r.fail(c, join(path, "chain"), scalar(c), "want a list of plugins")
		return nil, override
	}
	for i, pn := range c.Content {
		pp := fmt.Sprintf("%s[%d]", join(path, "chain"), i)
		pv, _, _ := r.mapping(pn, pp, "id", "config", "priority")
		id, ok := r.str(pv["id"], join(pp, "id"))
		if !ok {
			if pv["id"] == nil {
				r.fail(pn, join(pp, "id"), "", "is missing")
			}
			continue
		}
		ids = append(ids, id)
	}
	return ids, override
}

// slo reads one SLO into s, reporting whether it is whole.
func (r *reader) slo(n *yaml.Node, path string, s *SLO, chain []string) bool {
	k8s := s.Kubernetes
	key := func(name string) string { return spell(name, k8s) }
	errs := len(r.errs)
	values, keys, _ := r.mapping(n, path, "name", "description", "objective", "plugins", "labels", "sli", "alerting")
	if values == nil {
		return false
	}
	at := func(name string, kn *yaml.Node) {
		s.fields[name] = field{join(path, key(name)), r.pos(kn)}
	}
	for k, kn := range keys {
		at(k, kn)
		if v := values[k]; v.Kind == yaml.ScalarNode {
			s.fields[k] = field{join(path, k), r.pos(v)}
		}
	}
	name, ok := r.str(values["name"], join(path, "name"))
	switch {
	case values["name"] == nil:
		r.fail(n, join(path, "name"), "", "is missing")
	case ok && !nameRegexp.MatchString(name):
		r.fail(values["name"], join(path, "name"), name, "%s", nameProblem(name))
	}
	s.Name = name
	s.Description, _ = r.str(values["description"], join(path, "description"))
	if v := values["objective"]; v == nil {
		r.fail(n, join(path, "objective"), "", "is missing; want a percentage such as 99.9")
	} else if f, err := strconv.ParseFloat(v.Value, 64); v.Kind == yaml.ScalarNode && v.Tag == "!!str" && err == nil {
		r.fail(v, join(path, "objective"), v.Value, "is a string: drop the quotes, objective: %s", v.Value)
	} else if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || err != nil {
		r.fail(v, join(path, "objective"), scalar(v), "want a percentage such as 99.9")
	} else if strings.ContainsAny(v.Value, "eE") {
		r.fail(v, join(path, "objective"), v.Value, "is in exponent notation: write the percentage as a decimal number, such as 99.9")
	} else if digits, decimals := significant(v.Value); digits > float64Digits {
		r.fail(v, join(path, "objective"), v.Value, "has %d significant digits, more than a float64 holds (%d): write at most %d decimals", digits, float64Digits, decimals)
	} else if !(f > 0 && f <= 100) {
		r.fail(v, join(path, "objective"), v.Value, "out of range (0, 100]: the objective is a percentage")
	} else if f < 1 {
		// A ratio where sloth wants a percentage: no service means under 1%.
		r.fail(v, join(path, "objective"), v.Value, "reads as %s%%, a percentage under 1%%: the objective is a percentage; for %s%% write objective: %s", v.Value, hundredTimes(v.Value), hundredTimes(v.Value))
	} else {
		s.Objective, s.objectiveText = f, v.Value
	}
	for k, v := range r.stringMap(values["labels"], join(path, "labels"), func(k, p string, kn *yaml.Node) {
		s.fields["labels."+k] = field{p, r.pos(kn)}
	}) {
		s.Labels[k] = v
	}
	own, override := r.plugins(values["plugins"], join(path, "plugins"))
	if override {
		chain = nil
	}
	s.Plugins = append(append([]string(nil), chain...), own...)
	r.sli(values["sli"], n, path, s)
	r.alerting(values["alerting"], path, s)
	return len(r.errs) == errs
}

func (r *reader) sli(n, parent *yaml.Node, path string, s *SLO) {
	key := func(name string) string { return spell(name, s.Kubernetes) }
	p := join(path, "sli")
	if n == nil {
		r.fail(parent, p, "", "is missing; want events (error_query and total_query), raw or plugin")
		return
	}
	values, keys, order := r.mapping(n, p, "events", "raw", "plugin")
	if values == nil {
		return
	}
	if len(order) != 1 {
		r.fail(n, p, "", "want exactly one of events, raw and plugin, got %d", len(order))
		return
	}
	query := func(m map[string]*yaml.Node, at *yaml.Node, mp, name string) string {
		qp := join(mp, key(name))
		v := m[key(name)]
		if v == nil {
			r.fail(at, qp, "", "is missing")
			return ""
		}
		q, ok := r.str(v, qp)
		if !ok {
			return ""
		}
		s.fields["sli."+strings.TrimPrefix(mp, p+".")+"."+name] = field{qp, r.pos(v)}
		if !windowVar.MatchString(q) {
			r.fail(v, qp, q, "has no {{.window}}: sloth's queries are templates over the window")
			return ""
		}
		if msg := promql.Unbalanced(q); msg != "" {
			r.fail(v, qp, q, "%s: Prometheus would refuse this query", msg)
			return ""
		}
		// One spelling, the one package promrules reads.
		return windowVar.ReplaceAllString(q, "{{.window}}")
	}
	switch order[0] {
	case "events":
		ep := join(p, "events")
		s.fields["sli.events"] = field{ep, r.pos(keys["events"])}
		m, _, _ := r.mapping(values["events"], ep, key("error_query"), key("total_query"))
		if m == nil {
			return
		}
		s.SLI.ErrorQuery = query(m, values["events"], ep, "error_query")
		s.SLI.TotalQuery = query(m, values["events"], ep, "total_query")
		if s.SLI.ErrorQuery != "" && s.SLI.ErrorQuery == s.SLI.TotalQuery {
			r.fail(m[key("total_query")], join(ep, key("total_query")), "", "is error_query: both queries can't be the same")
		}
	case "raw":
		rp := join(p, "raw")
		s.fields["sli.raw"] = field{rp, r.pos(keys["raw"])}
		m, _, _ := r.mapping(values["raw"], rp, key("error_ratio_query"))
		if m == nil {
			return
		}
		s.SLI.ErrorRatioQuery = query(m, values["raw"], rp, "error_ratio_query")
	case "plugin":
		pp := join(p, "plugin")
		s.fields["sli.plugin"] = field{pp, r.pos(keys["plugin"])}
		m, _, _ := r.mapping(values["plugin"], pp, "id", "options")
		if m == nil {
			return
		}
		if m["id"] == nil {
			r.fail(values["plugin"], join(pp, "id"), "", "is missing")
			return
		}
		s.SLI.Plugin, _ = r.str(m["id"], join(pp, "id"))
		r.stringMap(m["options"], join(pp, "options"), func(string, string, *yaml.Node) {})
	}
}

func (r *reader) alerting(n *yaml.Node, path string, s *SLO) {
	key := func(name string) string { return spell(name, s.Kubernetes) }
	p := join(path, "alerting")
	if n == nil || n.Tag == "!!null" {
		// sloth then names both alerts "", which it refuses.
		r.fail(n0(n, s), p, "", "is missing; want at least its name, or page_alert and ticket_alert disabled")
		return
	}
	values, keys, _ := r.mapping(n, p, "name", "labels", "annotations", key("page_alert"), key("ticket_alert"))
	if values == nil {
		return
	}
	for k, kn := range keys {
		s.fields["alerting."+canonical(k)] = field{join(p, k), r.pos(kn)}
	}
	a := &s.Alerting
	a.Name, _ = r.str(values["name"], join(p, "name"))
	if values["name"] != nil {
		s.fields["alerting.name"] = field{join(p, "name"), r.pos(values["name"])}
	}
	mark := func(prefix string) func(k, fp string, kn *yaml.Node) {
		return func(k, fp string, kn *yaml.Node) { s.fields[prefix+k] = field{fp, r.pos(kn)} }
	}
	a.Labels = r.stringMap(values["labels"], join(p, "labels"), mark("alerting.labels."))
	a.Annotations = r.stringMap(values["annotations"], join(p, "annotations"), mark("alerting.annotations."))
	for _, which := range []struct {
		name  string
		alert *Alert
	}{{"page_alert", &a.Page}, {"ticket_alert", &a.Ticket}} {
		v := values[key(which.name)]
		if v == nil || v.Tag == "!!null" {
			continue
		}
		ap := join(p, key(which.name))
		m, _, _ := r.mapping(v, ap, "disable", "labels", "annotations")
		if m == nil {
			continue
		}
		if d := m["disable"]; d != nil {
			if d.Tag != "!!bool" {
				r.fail(d, join(ap, "disable"), scalar(d), "want true or false")
			}
			which.alert.Disable = d.Value == "true"
			s.fields["alerting."+which.name+".disable"] = field{join(ap, "disable"), r.pos(d)}
		}
		prefix := "alerting." + which.name + "."
		which.alert.Labels = r.stringMap(m["labels"], join(ap, "labels"), mark(prefix+"labels."))
		which.alert.Annotations = r.stringMap(m["annotations"], join(ap, "annotations"), mark(prefix+"annotations."))
	}
	if a.Name == "" && (!a.Page.Disable || !a.Ticket.Disable) {
		r.fail(n, join(p, "name"), "", "is missing: sloth names the page and ticket alerts with it")
	}
}

// n0 is the node to point at for a missing field of an SLO: its entry.
func n0(n *yaml.Node, s *SLO) *yaml.Node {
	if n != nil {
		return n
	}
	return &yaml.Node{Line: s.Position.Line, Column: s.Position.Column}
}

// nameProblem says why a service's or an SLO's name is not one sloth
// takes.
func nameProblem(name string) string {
	const rule = "letters, digits, '.', '_' and '-', starting and ending with a letter or digit"
	if len(name) < 2 {
		return "want at least 2 characters, as sloth does: " + rule
	}
	return "want " + rule
}

// float64Digits is how many significant decimal digits a float64 always
// holds.
const float64Digits = 15

// significant counts the significant digits of a decimal number's text,
// and says how many decimals float64Digits leave beside its integer part.
func significant(text string) (digits, decimals int) {
	text = strings.TrimLeft(text, "+-")
	intPart, frac, _ := strings.Cut(text, ".")
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	all := intPart + frac
	if intPart == "" {
		all = strings.TrimLeft(frac, "0")
	}
	return len(all), max(0, float64Digits-len(intPart))
}

// hundredTimes writes the decimal number text times 100, moving its point,
// so that 0.995 is 99.5 and not 99.49999999999999.
func hundredTimes(text string) string {
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(text, "+"), ".")
	for len(frac) < 2 {
		frac += "0"
	}
	intPart, frac = strings.TrimLeft(intPart+frac[:2], "0"), strings.TrimRight(frac[2:], "0")
	if intPart == "" {
		intPart = "0"
	}
	if frac != "" {
		return intPart + "." + frac
	}
	return intPart
}
