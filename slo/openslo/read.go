package openslo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ybiyri/runkit/internal/fileerr"
	"github.com/ybiyri/runkit/internal/promql"
	"github.com/ybiyri/runkit/slo"
)

// File is a named file's contents, for ParseFiles.
type File struct {
	Name string
	Data []byte
}

// Parse reads the OpenSLO v1 documents of one file (name appears in
// errors) and returns its SLOs in the order they appear. A file over
// MaxBytes is an error.
func Parse(name string, data []byte) ([]SLO, error) {
	return ParseFiles(File{Name: name, Data: data})
}

// MaxBytes is the most Parse, ParseFiles and ReadFiles read: the files of
// one set together hold at most 8 MiB, some 9,000 SLOs written out in
// full. A larger set is an error naming the file that crosses the limit,
// before it is parsed (and, by ReadFiles, before more than the limit is
// read), so that a stray or generated file cannot take a pipeline's
// memory: the SLOs read keep about twice the input, and reading peaks
// under 10 times it.
const MaxBytes = 8 << 20

// tooLarge is the error for a set whose file name takes it past MaxBytes,
// at least size bytes in all.
func tooLarge(name string, size int64) error {
	return &Error{Position: Position{File: name}, Msg: fmt.Sprintf("the files read hold %d bytes or more with this one, over openslo.MaxBytes, the 8 MiB (%d bytes) a set of OpenSLO files may hold; split the SLOs into sets read on their own", size, MaxBytes)}
}

// ReadFiles reads and parses the files at paths as one set, so that an
// SLO in one file may refer to an SLI or AlertPolicy in another. It reads
// at most MaxBytes in all.
func ReadFiles(paths ...string) ([]SLO, error) {
	files := make([]File, len(paths))
	var total int64
	for i, p := range paths {
		data, size, err := readLimited(p, MaxBytes-total)
		if err != nil {
			return nil, err
		}
		if total += size; total > MaxBytes {
			return nil, tooLarge(p, total)
		}
		files[i] = File{Name: p, Data: data}
	}
	return ParseFiles(files...)
}

// readLimited reads the file at path when it holds at most limit bytes;
// size is how many it holds, or more than limit when it is larger.
func readLimited(path string, limit int64) (data []byte, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("openslo: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		// Said without reading it.
		return nil, fi.Size(), nil
	}
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("openslo: %w", err)
	}
	return data, int64(len(data)), nil
}

// ParseFiles reads the OpenSLO v1 documents of files as one set and
// returns their SLOs, in order, with every reference resolved.
//
// Kinds SLO, SLI, AlertPolicy, AlertCondition and AlertNotificationTarget
// are read; DataSource and Service are checked and otherwise ignored,
// except that a DataSource's type fills in the type of a metric source
// that refers to it. Decoding is strict: an unknown field, a value of the
// wrong type, a bad value or a reference to nothing is an *Error naming
// file:line:column, the field and the value. Every problem found is
// returned, joined with errors.Join. An empty document (a lone "---") is
// skipped, but a file with no document at all (empty, or only comments) is
// an error at its line 1: it is a truncated write or the wrong file, not a
// set of no objectives. A set whose documents define no SLO (SLIs and
// alert policies kept apart) is not an error and returns none.
func ParseFiles(files ...File) ([]SLO, error) {
	p := &parser{
		slis:       map[string]*sliDoc{},
		policies:   map[string]*policyDoc{},
		conditions: map[string]*conditionDoc{},
		targets:    map[string]*targetDoc{},
		sources:    map[string]string{},
		names:      map[string]map[string]Position{},
		paths:      &pathTable{index: map[string]int32{}},
	}
	var total int64
	for _, f := range files {
		if total += int64(len(f.Data)); total > MaxBytes {
			return nil, tooLarge(f.Name, total)
		}
	}
	for _, f := range files {
		p.file(f)
	}
	out := p.resolve()
	if len(p.errs) > 0 {
		return nil, errors.Join(once(p.errs)...)
	}
	return out, nil
}

// once keeps the first of the problems that fileerr.Key says are one: a
// node that YAML aliases read under several paths has its problems once.
func once(errs []error) []error {
	seen := make(map[string]bool, len(errs))
	out := errs[:0]
	for _, err := range errs {
		if e, ok := err.(*Error); ok {
			k := fileerr.Key(e.Position, e.Field, e.Value, e.Msg)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, err)
	}
	return out
}

type ref struct {
	file  string
	name  string
	pos   Position
	field string
}

type sloDoc struct {
	s        SLO
	r        reader
	ok       bool // no problem found in the document itself
	indRef   *ref
	policies []policyEntry
	// objective nodes, for messages about op and value
	objPos   []Position
	objPaths []string
	// the resolved alert policies' documents and conditions, in order
	policyDocs []*policyDoc
	conds      []*conditionDoc
}

type policyEntry struct {
	inline *policyDoc
	ref    *ref
}

type policyDoc struct {
	p       AlertPolicy
	cond    *conditionDoc
	condRef *ref
	targets []targetEntry
	file    string
	// path is the policy's spec; at holds where its document's fields are.
	path string
	at   *positionTable
}

type conditionDoc struct {
	c    AlertCondition
	file string
	// path is the condition's spec; at holds where its document's fields
	// are.
	path string
	at   *positionTable
	// checked says the condition's problems were reported once already.
	checked bool
}

// field returns where the condition's field (relative to its spec) is,
// and its path.
func (c *conditionDoc) field(name string) (Position, string) {
	path := join(c.path, name)
	pos, _ := c.at.lookup(path)
	return pos, path
}

type targetEntry struct {
	inline *NotificationTarget
	ref    *ref
}

type targetDoc struct {
	t NotificationTarget
}

type sliDoc struct {
	ind Indicator
	at  *positionTable
}

type parser struct {
	errs       []error
	slos       []*sloDoc
	slis       map[string]*sliDoc
	policies   map[string]*policyDoc
	conditions map[string]*conditionDoc
	targets    map[string]*targetDoc
	sources    map[string]string // DataSource name → type
	names      map[string]map[string]Position
	// paths interns the paths of fields, which documents share.
	paths *pathTable
}

var kinds = []string{"SLO", "SLI", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "DataSource", "Service"}

// yamlLine finds the line in a YAML library error, which reports no
// column.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func (p *parser) file(f File) {
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	r := &reader{file: f.Name}
	docs := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			e := &Error{Position: Position{File: f.Name}, Msg: err.Error()}
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				e.Line, _ = strconv.Atoi(m[1])
				e.Msg = "yaml: " + strings.TrimPrefix(err.Error(), m[0])
			}
			p.errs = append(p.errs, e)
			docs = -1 // a syntax error says enough
			break
		}
		if len(doc.Content) == 0 || isNull(deref(doc.Content[0])) {
			continue
		}
		docs++
		p.document(r, deref(doc.Content[0]))
	}
	if docs == 0 {
		r.errs = append(r.errs, &Error{Position: Position{File: f.Name, Line: 1, Column: 1}, Msg: "holds no OpenSLO document"})
	}
	p.errs = append(p.errs, r.errs...)
	r.errs = nil
}

func (p *parser) document(r *reader, n *yaml.Node) {
	r.at = make(map[string]Position, 64)
	r.table = &positionTable{file: r.file}
	defer func() {
		r.table.fill(r.at, p.paths)
		r.at, r.table = nil, nil
	}()
	top := r.mapping(n, "", "apiVersion", "kind", "metadata", "spec")
	if n.Kind != yaml.MappingNode {
		return
	}
	if v := r.required(top, "apiVersion"); v != "" && v != APIVersion {
		r.fail(top.get("apiVersion"), "apiVersion", v, "want %s; this package reads OpenSLO v1 only", APIVersion)
		return
	}
	kind := r.required(top, "kind")
	if kind == "" {
		return
	}
	if !contains(kinds, kind) {
		r.fail(top.get("kind"), "kind", kind, "want one of %s", strings.Join(kinds, ", "))
		return
	}
	if !top.has("metadata") {
		r.fail(n, "metadata", "", "is missing")
		return
	}
	md := r.metadata(top.get("metadata"), "metadata")
	if !top.has("spec") {
		r.fail(n, "spec", "", "is missing")
		return
	}
	spec := top.get("spec")
	pos := r.pos(n)
	if md.Name != "" {
		p.unique(r, kind, md.Name, top.get("metadata"), pos)
	}
	switch kind {
	case "SLO":
		p.slo(r, md, spec, pos)
	case "SLI":
		ind := r.indicatorSpec(spec, "spec")
		ind.Metadata = md
		if md.Name != "" {
			p.slis[md.Name] = &sliDoc{ind: ind, at: r.table}
		}
	case "AlertPolicy":
		pd := p.policySpec(r, spec, "spec")
		pd.p.Metadata = md
		if md.Name != "" {
			p.policies[md.Name] = pd
		}
	case "AlertCondition":
		c := r.conditionSpec(spec, "spec")
		c.Metadata = md
		if md.Name != "" {
			p.conditions[md.Name] = &conditionDoc{c: c, file: r.file, path: "spec", at: r.table}
		}
	case "AlertNotificationTarget":
		t := r.targetSpec(spec, "spec")
		t.Metadata = md
		if md.Name != "" {
			p.targets[md.Name] = &targetDoc{t: t}
		}
	case "DataSource":
		f := r.mapping(spec, "spec", "description", "type", "connectionDetails")
		r.description(f)
		typ := r.required(f, "type")
		if c := f.get("connectionDetails"); c != nil {
			r.anyValue(c, "spec.connectionDetails", 0)
		}
		if md.Name != "" {
			p.sources[md.Name] = typ
		}
	case "Service":
		r.description(r.mapping(spec, "spec", "description"))
	}
}

// unique records that kind/name is defined, and fails on a second
// definition.
func (p *parser) unique(r *reader, kind, name string, at *yaml.Node, pos Position) {
	seen := p.names[kind]
	if seen == nil {
		seen = map[string]Position{}
		p.names[kind] = seen
	}
	if first, dup := seen[name]; dup {
		r.fail(at, "metadata.name", name, "%s %q is already defined at %v", kind, name, first)
		return
	}
	seen[name] = pos
}

// names may be what RFC 1123 allows and the longer forms the
// specification encourages: up to 255 characters, without spaces.
func (r *reader) metadata(n *yaml.Node, path string) Metadata {
	f := r.mapping(n, path, "name", "displayName", "labels", "annotations")
	md := Metadata{Name: r.required(f, "name"), DisplayName: r.str(f, "displayName")}
	if md.Name != "" {
		if len(md.Name) > 255 || strings.IndexFunc(md.Name, func(c rune) bool { return c <= ' ' || c == 0x7f }) >= 0 {
			r.fail(f.get("name"), join(path, "name"), md.Name, "want at most 255 characters without spaces or control characters")
		}
	}
	if l := f.get("labels"); l != nil {
		lf := r.mapping(l, join(path, "labels"), keysOf(l)...)
		if len(lf.values) > 0 {
			md.Labels = make(map[string][]string, len(lf.values))
		}
		for _, kv := range lf.values {
			k, v := kv.key, kv.value
			lp := join(join(path, "labels"), k)
			switch {
			case isNull(v):
				md.Labels[k] = []string{}
			case v.Kind == yaml.ScalarNode:
				md.Labels[k] = []string{v.Value}
			case v.Kind == yaml.SequenceNode:
				vals := make([]string, 0, len(v.Content))
				for _, c := range v.Content {
					c = deref(c)
					if c.Kind != yaml.ScalarNode {
						r.fail(c, lp, "", "want a string, got %s", describe(c))
						continue
					}
					vals = append(vals, c.Value)
				}
				md.Labels[k] = vals
			default:
				r.fail(v, lp, "", "want a string or a list of strings, got %s", describe(v))
			}
		}
	}
	if a := f.get("annotations"); a != nil {
		af := r.mapping(a, join(path, "annotations"), keysOf(a)...)
		if len(af.values) > 0 {
			md.Annotations = make(map[string]string, len(af.values))
		}
		for _, kv := range af.values {
			k, v := kv.key, kv.value
			if v.Kind != yaml.ScalarNode {
				r.fail(v, join(join(path, "annotations"), k), "", "want a string, got %s", describe(v))
				continue
			}
			md.Annotations[k] = v.Value
		}
	}
	return md
}

// keysOf lists a mapping's keys, so that mapping accepts them all (and
// still catches repeats).
func keysOf(n *yaml.Node) []string {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	keys := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

func (r *reader) description(f *fields) string {
	d := r.str(f, "description")
	if len([]rune(d)) > 1050 {
		r.fail(f.get("description"), join(f.path, "description"), "", "has %d characters; the limit is 1050", len([]rune(d)))
	}
	return d
}

func (p *parser) slo(r *reader, md Metadata, spec *yaml.Node, pos Position) {
	f := r.mapping(spec, "spec", "description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives", "alertPolicies")
	d := &sloDoc{s: SLO{Metadata: md, Position: pos, FieldPositions: Positions{r.table}}, r: reader{file: r.file}}
	before := len(r.errs)
	d.s.Description = r.description(f)
	d.s.Service = r.str(f, "service")
	switch {
	case f.has("indicator") && f.has("indicatorRef"):
		r.fail(f.get("indicatorRef"), "spec.indicatorRef", "", "cannot be given with spec.indicator")
	case f.has("indicator"):
		in := r.mapping(f.get("indicator"), "spec.indicator", "metadata", "spec")
		if !in.has("metadata") {
			r.fail(in.node, "spec.indicator.metadata", "", "is missing")
		} else {
			d.s.Indicator.Metadata = r.metadata(in.get("metadata"), "spec.indicator.metadata")
		}
		if !in.has("spec") {
			r.fail(in.node, "spec.indicator.spec", "", "is missing")
		} else {
			ind := r.indicatorSpec(in.get("spec"), "spec.indicator.spec")
			ind.Metadata = d.s.Indicator.Metadata
			d.s.Indicator = ind
		}
	case f.has("indicatorRef"):
		if name := r.str(f, "indicatorRef"); name != "" {
			d.indRef = &ref{file: r.file, name: name, pos: r.pos(f.get("indicatorRef")), field: "spec.indicatorRef"}
		}
	default:
		r.fail(spec, "spec.indicator", "", "is missing; give indicator or indicatorRef")
	}

	window, windowOK := r.timeWindow(f)
	method, methodOK := r.budgetingMethod(f)

	objs := r.list(f, "objectives")
	if len(objs) == 0 && !f.has("objectives") {
		r.fail(spec, "spec.objectives", "", "is missing")
	} else if len(objs) == 0 {
		r.fail(f.get("objectives"), "spec.objectives", "", "is empty")
	}
	names := map[string]int{}
	for i, on := range objs {
		path := fmt.Sprintf("spec.objectives[%d]", i)
		objErrs := len(r.errs)
		o := r.objective(on, path, method)
		o.Window, o.Method = window, method
		o.Name = objectiveName(md.Name, o.DisplayName, i, len(objs))
		if j, dup := names[o.Name]; dup {
			r.fail(on, path, "", "objective name %q is that of spec.objectives[%d]; give the objectives different displayNames", o.Name, j)
		}
		names[o.Name] = i
		if windowOK && methodOK && md.Name != "" && len(r.errs) == objErrs {
			if err := o.Objective.Validate(); err != nil {
				r.fail(on, path, "", "%v", err)
			}
		}
		d.s.Objectives = append(d.s.Objectives, o)
		d.objPos = append(d.objPos, r.pos(on))
		d.objPaths = append(d.objPaths, path)
	}

	for i, an := range r.list(f, "alertPolicies") {
		path := fmt.Sprintf("spec.alertPolicies[%d]", i)
		if !r.entry(an, path, "alertPolicyRef", "AlertPolicy") {
			continue
		}
		af := r.mapping(an, path, "alertPolicyRef", "kind", "metadata", "spec")
		if af.has("alertPolicyRef") {
			if af.has("kind") || af.has("metadata") || af.has("spec") {
				r.fail(an, path, "", "give alertPolicyRef alone, or an inline AlertPolicy (kind, metadata, spec)")
				continue
			}
			if name := r.str(af, "alertPolicyRef"); name != "" {
				d.policies = append(d.policies, policyEntry{ref: &ref{file: r.file, name: name, pos: r.pos(af.get("alertPolicyRef")), field: join(path, "alertPolicyRef")}})
			}
			continue
		}
		if k := r.required(af, "kind"); k != "" && k != "AlertPolicy" {
			r.fail(af.get("kind"), join(path, "kind"), k, "want AlertPolicy")
		}
		var md Metadata
		if !af.has("metadata") {
			r.fail(an, join(path, "metadata"), "", "is missing")
		} else {
			md = r.metadata(af.get("metadata"), join(path, "metadata"))
		}
		if !af.has("spec") {
			r.fail(an, join(path, "spec"), "", "is missing")
			continue
		}
		pd := p.policySpec(r, af.get("spec"), join(path, "spec"))
		pd.p.Metadata = md
		d.policies = append(d.policies, policyEntry{inline: pd})
	}
	d.ok = len(r.errs) == before
	p.slos = append(p.slos, d)
}

// objectiveName is the SLO's name for its only objective, and otherwise
// the name followed by the objective's displayName made label-safe, or by
// its position from 1.
func objectiveName(name, display string, i, n int) string {
	if n == 1 {
		return name
	}
	if s := slug(display); s != "" {
		return name + "-" + s
	}
	return name + "-" + strconv.Itoa(i+1)
}

// slug lowercases s and turns every run of other characters than letters
// and digits into one hyphen.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

func (r *reader) timeWindow(f *fields) (slo.Window, bool) {
	tws := r.list(f, "timeWindow")
	if !f.has("timeWindow") {
		r.fail(f.node, "spec.timeWindow", "", "is missing; runkit needs the window an objective covers")
		return slo.Window{}, false
	}
	if len(tws) != 1 {
		r.fail(f.get("timeWindow"), "spec.timeWindow", "", "has %d entries; want exactly one", len(tws))
		return slo.Window{}, false
	}
	path := "spec.timeWindow[0]"
	tf := r.mapping(tws[0], path, "duration", "isRolling", "calendar")
	dur := r.required(tf, "duration")
	rolling, rollingSet := r.boolean(tf, "isRolling")
	cal := tf.get("calendar")
	switch {
	case dur == "":
		return slo.Window{}, false
	case rolling && cal != nil:
		r.fail(cal, join(path, "calendar"), "", "cannot be given with isRolling: true")
		return slo.Window{}, false
	case rolling:
		d, err := parseShorthand(dur, false)
		if err != nil {
			r.fail(tf.get("duration"), join(path, "duration"), dur, "%v", err)
			return slo.Window{}, false
		}
		return slo.Rolling(d), true
	case tf.get("isRolling") != nil && !rollingSet:
		return slo.Window{}, false // its problem is said
	case cal == nil && rollingSet:
		r.fail(tws[0], join(path, "calendar"), "", "is missing; a window with isRolling: false is calendar-aligned")
		return slo.Window{}, false
	case cal == nil:
		r.fail(tws[0], join(path, "isRolling"), "", "is missing; set isRolling: true, or give calendar")
		return slo.Window{}, false
	}
	var unit slo.Calendar
	switch dur {
	case "1M":
		unit = slo.Month
	case "1Q", "3M":
		unit = slo.Quarter
	case "1Y", "12M":
		unit = slo.Year
	default:
		r.fail(tf.get("duration"), join(path, "duration"), dur, "a calendar window is one month (1M), quarter (1Q) or year (1Y)")
		return slo.Window{}, false
	}
	cp := join(path, "calendar")
	cf := r.mapping(cal, cp, "startTime", "timeZone")
	start := ""
	if n := cf.get("startTime"); n != nil {
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!timestamp") {
			r.fail(n, join(cp, "startTime"), valueText(n), "want a date and time, as 2024-01-01 00:00:00")
		} else {
			start = n.Value
		}
	} else {
		r.fail(cal, join(cp, "startTime"), "", "is missing")
	}
	tz := r.str(cf, "timeZone")
	if tz == "" {
		r.fail(cal, join(cp, "timeZone"), "", "is missing")
		return slo.Window{}, false
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		r.fail(cf.get("timeZone"), join(cp, "timeZone"), tz, "is not a time zone of the IANA database")
		return slo.Window{}, false
	}
	if start == "" {
		return slo.Window{}, false
	}
	t, err := time.ParseInLocation(time.DateTime, start, loc)
	if err != nil {
		r.fail(cf.get("startTime"), join(cp, "startTime"), start, "want a date and time, as 2024-01-01 00:00:00")
		return slo.Window{}, false
	}
	w := slo.CalendarWindow(unit, loc)
	if from, _ := w.Bounds(t); !from.Equal(t) {
		r.fail(cf.get("startTime"), join(cp, "startTime"), start, "is not the start of a %v; runkit's calendar windows begin at midnight on the first day of one (as %s)", unit, from.Format(time.DateTime))
		return slo.Window{}, false
	}
	if loc == time.UTC {
		w.Location = nil
	}
	return w, true
}

func (r *reader) budgetingMethod(f *fields) (slo.Method, bool) {
	m := r.required(f, "budgetingMethod")
	switch m {
	case "":
		return 0, false
	case "Occurrences":
		return slo.Occurrences, true
	case "Timeslices":
		return slo.Timeslices, true
	case "RatioTimeslices":
		r.fail(f.get("budgetingMethod"), "spec.budgetingMethod", m, "is not supported: runkit budgets by Occurrences or Timeslices")
		return 0, false
	}
	r.fail(f.get("budgetingMethod"), "spec.budgetingMethod", m, "want Occurrences or Timeslices")
	return 0, false
}

func (r *reader) objective(n *yaml.Node, path string, method slo.Method) Objective {
	f := r.mapping(n, path, "displayName", "op", "value", "target", "targetPercent", "timeSliceTarget", "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight")
	var o Objective
	o.DisplayName = r.str(f, "displayName")
	for _, k := range []string{"indicator", "indicatorRef", "compositeWeight"} {
		if f.has(k) {
			r.fail(f.get(k), join(path, k), "", "composite SLOs are not supported; give the indicator at spec.indicator")
		}
	}
	if f.has("op") {
		o.Op = r.str(f, "op")
		switch o.Op {
		case "lt", "lte", "gt", "gte":
		default:
			r.fail(f.get("op"), join(path, "op"), o.Op, "want lt, lte, gt or gte")
		}
	}
	o.Value, _ = r.number(f, "value")
	switch {
	case f.has("target") && f.has("targetPercent"):
		r.fail(f.get("targetPercent"), join(path, "targetPercent"), f.get("targetPercent").Value, "cannot be given with target")
	case f.has("target"):
		v, vn := r.number(f, "target")
		if vn == nil {
			break
		}
		if v >= 50 && v < 100 {
			r.fail(vn, join(path, "target"), vn.Value, "out of range (0, 1): target is a ratio; for a percentage write targetPercent: %s", vn.Value)
			break
		}
		if v <= 0 || v >= 1 {
			r.fail(vn, join(path, "target"), vn.Value, "out of range (0, 1): a target of 1 leaves no error budget, one of 0 promises nothing")
			break
		}
		o.Target = v
	case f.has("targetPercent"):
		v, vn := r.number(f, "targetPercent")
		if vn == nil {
			break
		}
		if v <= 0 || v >= 100 {
			r.fail(vn, join(path, "targetPercent"), vn.Value, "out of range (0, 100)")
			break
		}
		if v < 1 {
			// OpenSLO allows [0, 100), but a target under 1% promises
			// nothing a service means: it is a ratio in the wrong field.
			r.fail(vn, join(path, "targetPercent"), vn.Value, "reads as %s%%, a percentage under 1%%: for a ratio write target: %s, for a percentage targetPercent: %s", vn.Value, vn.Value, hundredTimes(vn.Value, v))
			break
		}
		t, err := slo.ParseTarget(vn.Value + "%")
		if err != nil {
			r.fail(vn, join(path, "targetPercent"), vn.Value, "%v", err)
			break
		}
		o.Target = t
	default:
		r.fail(n, join(path, "target"), "", "is missing; give target or targetPercent")
	}
	if method != slo.Timeslices {
		for _, k := range []string{"timeSliceTarget", "timeSliceWindow"} {
			if f.has(k) {
				r.fail(f.get(k), join(path, k), valueText(f.get(k)), "applies only to budgetingMethod Timeslices")
			}
		}
		return o
	}
	if !f.has("timeSliceTarget") {
		r.fail(n, join(path, "timeSliceTarget"), "", "is missing; budgetingMethod Timeslices needs it")
	} else if v, vn := r.number(f, "timeSliceTarget"); vn != nil {
		if v <= 0 || v >= 1 {
			r.fail(vn, join(path, "timeSliceTarget"), vn.Value, "out of range (0, 1)")
		} else {
			o.SliceTarget = v
		}
	}
	w := f.get("timeSliceWindow")
	switch {
	case w == nil:
		r.fail(n, join(path, "timeSliceWindow"), "", "is missing; budgetingMethod Timeslices needs it")
	case w.Kind == yaml.ScalarNode && w.ShortTag() == "!!int":
		// A bare number counts minutes.
		m, err := strconv.ParseInt(w.Value, 10, 64)
		if err != nil || m <= 0 || m > int64(1<<63-1)/int64(time.Minute) {
			r.fail(w, join(path, "timeSliceWindow"), w.Value, "want a positive whole number of minutes")
		} else {
			o.Slice = time.Duration(m) * time.Minute
		}
	case w.Kind == yaml.ScalarNode && w.ShortTag() == "!!str":
		d, err := parseShorthand(w.Value, false)
		if err != nil {
			r.fail(w, join(path, "timeSliceWindow"), w.Value, "%v", err)
		} else {
			o.Slice = d
		}
	default:
		r.fail(w, join(path, "timeSliceWindow"), valueText(w), "want minutes or a duration such as 5m, got %s", describe(w))
	}
	return o
}

func (r *reader) indicatorSpec(n *yaml.Node, path string) Indicator {
	f := r.mapping(n, path, "description", "thresholdMetric", "ratioMetric")
	ind := Indicator{Description: r.description(f)}
	switch {
	case f.has("thresholdMetric") && f.has("ratioMetric"):
		r.fail(f.get("ratioMetric"), join(path, "ratioMetric"), "", "cannot be given with thresholdMetric")
	case f.has("thresholdMetric"):
		ind.Threshold = r.metricSpec(f.get("thresholdMetric"), join(path, "thresholdMetric"))
	case f.has("ratioMetric"):
		ind.Ratio = r.ratioMetric(f.get("ratioMetric"), join(path, "ratioMetric"))
	default:
		r.fail(n, join(path, "ratioMetric"), "", "is missing; give ratioMetric or thresholdMetric")
	}
	return ind
}

func (r *reader) ratioMetric(n *yaml.Node, path string) *RatioMetric {
	f := r.mapping(n, path, "counter", "good", "bad", "total", "rawType", "raw")
	m := &RatioMetric{}
	if c, ok := r.boolean(f, "counter"); ok {
		m.Counter = &c
	}
	get := func(k string) *MetricSource {
		if !f.has(k) {
			return nil
		}
		return r.metricSpec(f.get(k), join(path, k))
	}
	m.Good, m.Bad, m.Total, m.Raw = get("good"), get("bad"), get("total"), get("raw")
	switch {
	case f.has("raw"):
		for _, k := range []string{"good", "bad", "total"} {
			if f.has(k) {
				r.fail(f.get(k), join(path, k), "", "cannot be given with raw")
			}
		}
		switch t := r.str(f, "rawType"); t {
		case "success", "failure":
			m.RawType = t
		case "":
			r.fail(n, join(path, "rawType"), "", "is missing; raw needs rawType success or failure")
		default:
			r.fail(f.get("rawType"), join(path, "rawType"), t, "want success or failure")
		}
	case f.has("rawType"):
		r.fail(f.get("rawType"), join(path, "rawType"), valueText(f.get("rawType")), "applies only with raw")
	case f.has("good") && f.has("bad"):
		r.fail(f.get("bad"), join(path, "bad"), "", "cannot be given with good")
	case !f.has("total"):
		r.fail(n, join(path, "total"), "", "is missing; give good or bad with total, or raw")
	case !f.has("good") && !f.has("bad"):
		r.fail(n, join(path, "good"), "", "is missing; give good or bad with total")
	}
	return m
}

func (r *reader) metricSpec(n *yaml.Node, path string) *MetricSource {
	f := r.mapping(n, path, "metricSource")
	if !f.has("metricSource") {
		r.fail(n, join(path, "metricSource"), "", "is missing")
		return &MetricSource{}
	}
	sp := join(path, "metricSource")
	sf := r.mapping(f.get("metricSource"), sp, "metricSourceRef", "type", "spec")
	m := &MetricSource{Ref: r.str(sf, "metricSourceRef"), Type: r.str(sf, "type")}
	s := sf.get("spec")
	switch {
	case s == nil:
		r.fail(sf.node, join(sp, "spec"), "", "is missing")
	case s.Kind != yaml.MappingNode:
		r.fail(s, join(sp, "spec"), valueText(s), "want a mapping, got %s", describe(s))
	case len(s.Content) == 0:
		r.fail(s, join(sp, "spec"), "", "is empty")
	default:
		m.Spec, _ = r.anyValue(s, join(sp, "spec"), 0).(map[string]any)
		r.promQL(m, s, join(sp, "spec"))
	}
	return m
}

// promQL checks the query of a Prometheus source as far as runkit can
// without a PromQL parser: a query whose parentheses, brackets, braces or
// quotes do not pair up is one Prometheus would refuse.
func (r *reader) promQL(m *MetricSource, spec *yaml.Node, path string) {
	if !strings.EqualFold(m.Type, "Prometheus") {
		return
	}
	for i := 0; i+1 < len(spec.Content); i += 2 {
		k, v := spec.Content[i], spec.Content[i+1]
		if k.Value != "query" || v.Kind != yaml.ScalarNode {
			continue
		}
		if msg := promql.Unbalanced(v.Value); msg != "" {
			r.fail(v, join(path, "query"), v.Value, "%s: Prometheus would refuse this query", msg)
		}
	}
}

func (p *parser) policySpec(r *reader, n *yaml.Node, path string) *policyDoc {
	f := r.mapping(n, path, "description", "alertWhenNoData", "alertWhenResolved", "alertWhenBreaching", "conditions", "notificationTargets")
	pd := &policyDoc{file: r.file, path: path, at: r.table}
	pd.p.Description = r.description(f)
	pd.p.AlertWhenNoData = r.optBool(f, "alertWhenNoData")
	pd.p.AlertWhenResolved = r.optBool(f, "alertWhenResolved")
	pd.p.AlertWhenBreaching = r.optBool(f, "alertWhenBreaching")
	conds := r.list(f, "conditions")
	if len(conds) != 1 {
		at := f.get("conditions")
		if at == nil {
			at = n
		}
		r.fail(at, join(path, "conditions"), "", "has %d entries; want exactly one", len(conds))
	}
	if len(conds) >= 1 && r.entry(conds[0], join(path, "conditions")+"[0]", "conditionRef", "AlertCondition") {
		cp := join(path, "conditions") + "[0]"
		cf := r.mapping(conds[0], cp, "conditionRef", "kind", "metadata", "spec")
		if cf.has("conditionRef") {
			if cf.has("kind") || cf.has("metadata") || cf.has("spec") {
				r.fail(conds[0], cp, "", "give conditionRef alone, or an inline AlertCondition (kind, metadata, spec)")
			} else if name := r.str(cf, "conditionRef"); name != "" {
				pd.condRef = &ref{file: r.file, name: name, pos: r.pos(cf.get("conditionRef")), field: join(cp, "conditionRef")}
			}
		} else {
			if k := r.required(cf, "kind"); k != "" && k != "AlertCondition" {
				r.fail(cf.get("kind"), join(cp, "kind"), k, "want AlertCondition")
			}
			var md Metadata
			if cf.has("metadata") {
				md = r.metadata(cf.get("metadata"), join(cp, "metadata"))
			} else {
				r.fail(conds[0], join(cp, "metadata"), "", "is missing")
			}
			if cf.has("spec") {
				c := r.conditionSpec(cf.get("spec"), join(cp, "spec"))
				c.Metadata = md
				pd.cond = &conditionDoc{c: c, file: r.file, path: join(cp, "spec"), at: r.table}
			} else {
				r.fail(conds[0], join(cp, "spec"), "", "is missing")
			}
		}
	}
	for i, tn := range r.list(f, "notificationTargets") {
		tp := fmt.Sprintf("%s.notificationTargets[%d]", path, i)
		if !r.entry(tn, tp, "targetRef", "AlertNotificationTarget") {
			continue
		}
		tf := r.mapping(tn, tp, "targetRef", "kind", "metadata", "spec")
		if tf.has("targetRef") {
			if tf.has("kind") || tf.has("metadata") || tf.has("spec") {
				r.fail(tn, tp, "", "give targetRef alone, or an inline AlertNotificationTarget (kind, metadata, spec)")
			} else if name := r.str(tf, "targetRef"); name != "" {
				pd.targets = append(pd.targets, targetEntry{ref: &ref{file: r.file, name: name, pos: r.pos(tf.get("targetRef")), field: join(tp, "targetRef")}})
			}
			continue
		}
		if k := r.required(tf, "kind"); k != "" && k != "AlertNotificationTarget" {
			r.fail(tf.get("kind"), join(tp, "kind"), k, "want AlertNotificationTarget")
		}
		var t NotificationTarget
		if tf.has("metadata") {
			t = NotificationTarget{Metadata: r.metadata(tf.get("metadata"), join(tp, "metadata"))}
		} else {
			r.fail(tn, join(tp, "metadata"), "", "is missing")
		}
		if tf.has("spec") {
			s := r.targetSpec(tf.get("spec"), join(tp, "spec"))
			s.Metadata = t.Metadata
			t = s
		} else {
			r.fail(tn, join(tp, "spec"), "", "is missing")
		}
		pd.targets = append(pd.targets, targetEntry{inline: &t})
	}
	return pd
}

func (r *reader) conditionSpec(n *yaml.Node, path string) AlertCondition {
	f := r.mapping(n, path, "description", "severity", "condition")
	c := AlertCondition{Description: r.description(f), Severity: r.required(f, "severity")}
	if c.Severity != "" && c.Severity != string(slo.Page) && c.Severity != string(slo.Ticket) {
		r.fail(f.get("severity"), join(path, "severity"), c.Severity,
			"want page or ticket; the severity label the alert carries is chosen where the rules are written, as runkit slo rules --severity page=%s does", c.Severity)
	}
	if !f.has("condition") {
		r.fail(n, join(path, "condition"), "", "is missing")
		return c
	}
	cp := join(path, "condition")
	cf := r.mapping(f.get("condition"), cp, "kind", "op", "threshold", "lookbackWindow", "alertAfter")
	if k := r.str(cf, "kind"); k != "" && k != "burnrate" {
		r.fail(cf.get("kind"), join(cp, "kind"), k, "want burnrate")
	}
	switch c.Op = r.str(cf, "op"); c.Op {
	case "":
		c.Op = "gt"
	case "gt", "gte":
	case "lt", "lte":
		r.fail(cf.get("op"), join(cp, "op"), c.Op, "want gt or gte: a burn-rate condition fires when the burn rate reaches its threshold, not below it")
	default:
		r.fail(cf.get("op"), join(cp, "op"), c.Op, "want gt or gte")
	}
	if !cf.has("threshold") {
		r.fail(cf.node, join(cp, "threshold"), "", "is missing")
	} else if v, vn := r.number(cf, "threshold"); vn != nil {
		if v <= 0 {
			r.fail(vn, join(cp, "threshold"), vn.Value, "want a burn rate above 0")
		} else {
			c.Threshold = v
		}
	}
	if lb := r.required(cf, "lookbackWindow"); lb != "" {
		d, err := parseShorthand(lb, false)
		if err != nil {
			r.fail(cf.get("lookbackWindow"), join(cp, "lookbackWindow"), lb, "%v", err)
		}
		c.Lookback = d
	}
	if aa := r.str(cf, "alertAfter"); aa != "" {
		d, err := parseShorthand(aa, true)
		if err != nil {
			r.fail(cf.get("alertAfter"), join(cp, "alertAfter"), aa, "%v", err)
		}
		c.AlertAfter = d
	}
	return c
}

// entry checks a list entry that is either a reference (ref) or an inline
// object of kind. One with none of their fields, or with a name but no
// metadata (as "- name: fast" under alertPolicies), is one error that
// says what to write, rather than an unknown field and three missing ones.
// It reports whether the entry may be read on.
func (r *reader) entry(n *yaml.Node, path, ref, kind string) bool {
	n = deref(n)
	if n.Kind != yaml.MappingNode || len(n.Content) < 2 {
		return true
	}
	known, name := false, -1
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case ref, "kind", "metadata":
			return true
		case "spec":
			known = true
		case "name":
			name = i
		}
	}
	if known && name < 0 {
		return true
	}
	at, field, hint := n.Content[0], join(path, n.Content[0].Value), ""
	if name >= 0 {
		at, field = n.Content[name], join(path, "name")
		if v := valueText(n.Content[name+1]); v != "" {
			hint = fmt.Sprintf(" (%s: %s)", ref, v)
		}
	}
	r.fail(at, field, "", "unknown field; refer to an %s by name with %s%s, or write one inline with kind, metadata and spec", kind, ref, hint)
	return false
}

func (r *reader) targetSpec(n *yaml.Node, path string) NotificationTarget {
	f := r.mapping(n, path, "description", "target")
	return NotificationTarget{Description: r.description(f), Target: r.required(f, "target")}
}

// resolve fills in references and checks what needs the whole set: an
// objective against its indicator, and the alert policies as tiers.
func (p *parser) resolve() []SLO {
	// DataSource types fill in metric sources that refer to them.
	fill := func(m *MetricSource) {
		if m != nil && m.Type == "" && m.Ref != "" {
			m.Type = p.sources[m.Ref]
		}
	}
	out := make([]SLO, 0, len(p.slos))
	for _, d := range p.slos {
		r := &d.r
		if d.indRef != nil {
			if sli, ok := p.slis[d.indRef.name]; ok {
				d.s.Indicator = sli.ind
				// The SLI's fields, as the SLO's inline indicator would
				// name them.
				if d.s.FieldPositions.t != nil {
					d.s.FieldPositions.t.indicator = sli.at
				}
			} else {
				r.failPos(d.indRef.pos, d.indRef.field, d.indRef.name, "names no SLI")
			}
		}
		ind := &d.s.Indicator
		// An SLI named by indicatorRef is copied, so that SLOs sharing it
		// do not share pointers; an inline one is the SLO's own.
		shared := d.indRef != nil
		if ind.Ratio != nil {
			rm := ind.Ratio
			if shared {
				c := *rm
				rm = &c
			}
			for _, m := range []**MetricSource{&rm.Good, &rm.Bad, &rm.Total, &rm.Raw} {
				if *m != nil && shared {
					c := **m
					*m = &c
				}
				fill(*m)
			}
			ind.Ratio = rm
		}
		if ind.Threshold != nil {
			if shared {
				c := *ind.Threshold
				ind.Threshold = &c
			}
			fill(ind.Threshold)
		}
		for i, o := range d.s.Objectives {
			switch {
			case ind.Threshold != nil && o.Op == "":
				r.failPos(d.objPos[i], d.objPaths[i]+".op", "", "is missing; a thresholdMetric objective needs op and value")
			case ind.Ratio != nil && o.Op != "":
				r.failPos(d.objPos[i], d.objPaths[i]+".op", o.Op, "applies only to a thresholdMetric indicator")
			}
		}
		for _, e := range d.policies {
			pd := e.inline
			if e.ref != nil {
				var ok bool
				if pd, ok = p.policies[e.ref.name]; !ok {
					r.failPos(e.ref.pos, e.ref.field, e.ref.name, "names no AlertPolicy")
					continue
				}
			}
			ap, ok := p.policy(r, pd)
			if !ok {
				d.ok = false
			}
			if ok {
				d.s.AlertPolicies = append(d.s.AlertPolicies, ap)
				d.conds = append(d.conds, p.conditionOf(pd))
				d.policyDocs = append(d.policyDocs, pd)
			}
		}
		if d.ok && len(d.s.AlertPolicies) > 0 && len(r.errs) == 0 {
			p.checkAlerts(r, d)
		}
		p.errs = append(p.errs, r.errs...)
		out = append(out, d.s)
	}
	return out
}

// policy resolves an alert policy's condition and targets. The policy's
// own problems were reported where it was read.
func (p *parser) policy(r *reader, pd *policyDoc) (AlertPolicy, bool) {
	pr := &reader{file: pd.file}
	defer func() { r.errs = append(r.errs, pr.errs...) }()
	ap := pd.p
	ap.NotificationTargets = nil
	ok := true
	switch {
	case pd.cond != nil:
		ap.Condition = pd.cond.c
	case pd.condRef != nil:
		c, found := p.conditions[pd.condRef.name]
		if !found {
			pr.failPos(pd.condRef.pos, pd.condRef.field, pd.condRef.name, "names no AlertCondition")
			ok = false
			break
		}
		ap.Condition = c.c
	default:
		ok = false
	}
	for _, t := range pd.targets {
		if t.inline != nil {
			ap.NotificationTargets = append(ap.NotificationTargets, *t.inline)
			continue
		}
		td, found := p.targets[t.ref.name]
		if !found {
			pr.failPos(t.ref.pos, t.ref.field, t.ref.name, "names no AlertNotificationTarget")
			continue
		}
		ap.NotificationTargets = append(ap.NotificationTargets, td.t)
	}
	return ap, ok
}

// optBool reads an optional boolean field: nil when it is missing.
func (r *reader) optBool(f *fields, key string) *bool {
	v, ok := r.boolean(f, key)
	if !ok {
		return nil
	}
	return &v
}

// conditionOf returns the condition document of a resolved policy.
func (p *parser) conditionOf(pd *policyDoc) *conditionDoc {
	if pd.cond != nil {
		return pd.cond
	}
	return p.conditions[pd.condRef.name]
}

// checkAlerts checks an SLO's alert conditions against its objectives,
// each problem at the line of the field to change and in the file's
// words: a lookbackWindow longer than the window, a threshold that can
// never fire, that fires while the objective is met (under 1) or that
// spends more than the whole budget before firing. It also refuses a set
// of policies that all say alertWhenBreaching: false.
func (p *parser) checkAlerts(r *reader, d *sloDoc) {
	breaching := false
	for _, pd := range d.policyDocs {
		if b := pd.p.AlertWhenBreaching; b == nil || *b {
			breaching = true
		}
	}
	if !breaching {
		pd := d.policyDocs[len(d.policyDocs)-1]
		path := join(pd.path, "alertWhenBreaching")
		pos, _ := pd.at.lookup(path)
		(&reader{file: pd.file}).failAt(r, pos, path, "false",
			"every alert policy of SLO %s says alertWhenBreaching: false, which leaves no burn-rate alert to write; remove the alert policies to use the default tiers, or let one alert", d.s.Name)
		return
	}
	tiers := d.s.Policy().Tiers
	for ci, cd := range d.conds {
		if cd == nil || cd.checked {
			continue
		}
		c := cd.c
		for _, o := range d.s.Objectives {
			window := o.Window
			fr := &reader{file: cd.file}
			thPos, thPath := cd.field("condition.threshold")
			lbPos, lbPath := cd.field("condition.lookbackWindow")
			th := strconv.FormatFloat(c.Threshold, 'g', -1, 64)
			lb, _ := formatShorthand(c.Lookback)
			length := shortest(window)
			switch {
			case c.Lookback > longest(window):
				fr.failAt(r, lbPos, lbPath, lb, "is longer than the objective's window %s", window.String())
			case c.Threshold*o.Budget() >= 1:
				fr.failAt(r, thPos, thPath, th, "× the budget %v is %.4g ≥ 1: it would need an error rate over 100%% and can never fire", o.Budget(), c.Threshold*o.Budget())
			case c.Threshold < 1:
				fr.failAt(r, thPos, thPath, th, "is a burn rate under 1: the alert would fire while the objective is met, at burn rates that leave budget over at the end of the window")
			case c.Threshold*float64(c.Lookback) > float64(length):
				fr.failAt(r, thPos, thPath, th, "over lookbackWindow %s spends %.4g%% of the %s window's budget: it is gone before the alert fires; lower the threshold or shorten lookbackWindow",
					lb, 100*c.Threshold*float64(c.Lookback)/float64(length), window.String())
			default:
				// What is left: a calendar window's periods differ in
				// length, and the threshold with them.
				if ci < len(tiers) {
					if err := (slo.Policy{Tiers: tiers[ci : ci+1]}).Validate(o.Objective); err != nil {
						msg := err.Error()
						if i := strings.Index(msg, "): "); strings.HasPrefix(msg, "slo: tier ") && i >= 0 {
							msg = msg[i+3:]
						}
						fr.failAt(r, thPos, thPath, th, "%s", msg)
					}
				}
			}
			if len(fr.errs) > 0 {
				cd.checked = true
				break
			}
		}
	}
}

// failAt records a problem at a known position, into dst's errors.
func (r *reader) failAt(dst *reader, pos Position, field, value, format string, args ...any) {
	if pos.File == "" {
		pos.File = r.file
	}
	e := &Error{Position: pos, Field: field, Value: value, Msg: fmt.Sprintf(format, args...)}
	r.errs = append(r.errs, e)
	dst.errs = append(dst.errs, e)
}

// shortest is the shortest a window can be: a February, a first quarter,
// a year of 365 days, less the hour a daylight-saving change takes.
func shortest(w slo.Window) time.Duration {
	const day = 24 * time.Hour
	switch w.Calendar {
	case slo.Month:
		return 28*day - time.Hour
	case slo.Quarter:
		return 90*day - time.Hour
	case slo.Year:
		return 365*day - time.Hour
	}
	return w.Rolling
}

// longest is the longest a window can be.
func longest(w slo.Window) time.Duration {
	const day = 24 * time.Hour
	switch w.Calendar {
	case slo.Month:
		return 31 * day
	case slo.Quarter:
		return 92 * day
	case slo.Year:
		return 366 * day
	}
	return w.Rolling
}

// hundredTimes writes v, written as text, times 100, moving the decimal
// point in the text when it is a plain decimal number, so that 0.995 is
// 99.5 and not 99.49999999999999.
func hundredTimes(text string, v float64) string {
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(text, "+"), ".")
	if strings.Trim(intPart+frac, "0123456789") != "" || intPart+frac == "" {
		return strconv.FormatFloat(v*100, 'g', 15, 64)
	}
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
