package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/slo"
)

// format is the --output flag of a command whose output is data.
type format string

const (
	tableFormat format = "table"
	jsonFormat  format = "json"
)

func (f *format) String() string { return string(*f) }
func (f *format) Type() string   { return "table|json" }

func (f *format) Set(s string) error {
	switch format(s) {
	case tableFormat, jsonFormat:
		*f = format(s)
		return nil
	}
	return fmt.Errorf("want table or json")
}

// addOutputFlag adds --output (-o), table by default, completed by the
// shell.
func addOutputFlag(c *cobra.Command, f *format) {
	*f = tableFormat
	c.Flags().VarP(f, "output", "o", "output format: table or json")
	c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]string{"table\tcolumns for people", "json\tone JSON document for programs"},
		cobra.ShellCompDirectiveNoFileComp))
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// For a terminal and jq, not a web page: "->" stays "->".
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// newTable returns a writer that aligns tab-separated columns; Flush
// writes them.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes one tab-separated row.
func row(w io.Writer, cells ...string) {
	io.WriteString(w, strings.Join(cells, "\t")+"\n")
}

// roundSig rounds v to digits significant digits.
func roundSig(v float64, digits int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, float64(digits)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// num writes v with at most six significant digits and no exponent:
// 14.4, 0.0072, 3.30103.
func num(v float64) string {
	return strconv.FormatFloat(roundSig(v, 6), 'f', -1, 64)
}

// percent writes a share as a percentage: 0.0005 is "0.05%".
func percent(v float64) string { return num(100*v) + "%" }

// targetPercent writes a target as a percentage with every digit it has,
// moving the decimal point in its shortest text as slo.ParseTarget does
// the other way: 0.9999999 is "99.99999%", never a rounded "100%".
func targetPercent(v float64) string {
	text := strconv.FormatFloat(v, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(text, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	out := strings.TrimLeft(intPart+frac[:2], "0")
	if out == "" {
		out = "0"
	}
	if rest := frac[2:]; rest != "" {
		out += "." + rest
	}
	return out + "%"
}

// human writes d the way people read a budget, largest unit first and
// to the millisecond: "43.2s", "5m2.4s", "2d2h", "864ms". Forever is
// "never".
func human(d time.Duration) string {
	switch {
	case d == slo.Forever:
		return "never"
	case d < 0:
		return "-" + human(-d)
	case d < time.Millisecond:
		return d.String()
	}
	d = d.Round(time.Millisecond)
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.d
		}
	}
	if d > 0 {
		b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s")
	}
	return b.String()
}

// seconds is d in seconds for JSON, nil for Forever.
func seconds(d time.Duration) *float64 {
	if d == slo.Forever {
		return nil
	}
	v := d.Seconds()
	return &v
}

// mappingFlag is a flag of KEY=VALUE pairs, separated by commas or given
// in repeats of the flag, as --severity page=critical,ticket=warning. A
// key given twice is an error naming both values, where a map flag would
// keep the last without a word.
type mappingFlag struct {
	m   *map[string]string
	set bool
}

func newMappingFlag(m *map[string]string) *mappingFlag { return &mappingFlag{m: m} }

func (f *mappingFlag) Type() string { return "KEY=VALUE,..." }

func (f *mappingFlag) String() string {
	if f.m == nil || *f.m == nil {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(*f.m)) {
		parts = append(parts, k+"="+(*f.m)[k])
	}
	return strings.Join(parts, ",")
}

func (f *mappingFlag) Set(s string) error {
	if !f.set || *f.m == nil {
		*f.m = map[string]string{}
		f.set = true
	}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return fmt.Errorf("%q is not KEY=VALUE", pair)
		}
		if prev, dup := (*f.m)[k]; dup {
			return fmt.Errorf("%s is given twice, %s=%s and %s=%s; give it once", k, k, prev, k, v)
		}
		(*f.m)[k] = v
	}
	return nil
}
