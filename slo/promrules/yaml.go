package promrules

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// The rule file has one fixed shape, so it is printed directly rather
// than through a YAML encoder, which spends most of a file's time and
// memory on its event queue (about 0.2 MB per group with
// go.yaml.in/yaml/v3, never released until the encoder is). Every string
// goes through appendScalar, and the tests read the file back with that
// library and with promtool.

// appendScalar appends s as a YAML scalar that reads back as exactly s: a
// plain word when it is one, single-quoted when every character is
// printable, double-quoted with escapes otherwise.
func appendScalar(b []byte, s string) []byte {
	switch {
	case plainWord(s):
		return append(b, s...)
	case printable(s):
		b = append(b, '\'')
		for i := 0; i < len(s); i++ {
			if s[i] == '\'' {
				b = append(b, '\'')
			}
			b = append(b, s[i])
		}
		return append(b, '\'')
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r >= 0x20 && r < 0x7f, r >= 0xa0 && r != 0xfeff && r != 0x2028 && r != 0x2029 && r < 0xfffe && (r < 0xd800 || r > 0xdfff), r > 0xffff:
			b = utf8.AppendRune(b, r)
		case r <= 0xffff:
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(r), 4)
		default:
			b = append(b, '\\', 'U')
			b = appendHex(b, uint32(r), 8)
		}
	}
	return append(b, '"')
}

func appendHex(b []byte, v uint32, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, "0123456789abcdef"[v>>(4*uint(i))&0xf])
	}
	return b
}

// plainWord reports whether s reads as itself, a string, when written
// without quotes: a duration, or a letter or underscore, then letters,
// digits and _ : . / -, and no word that YAML 1.1 reads as a boolean or
// null.
func plainWord(s string) bool {
	if duration(s) {
		return true
	}
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == ':' || c == '.' || c == '/' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	if s[len(s)-1] == ':' {
		return false
	}
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL":
		return false
	}
	return true
}

// duration reports whether s is a Prometheus duration such as 5m, 30d or
// 1h30m: digits and units, which YAML reads as a string.
func duration(s string) bool {
	if s == "" {
		return false
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return false
		}
		s = s[i:]
		switch {
		case len(s) >= 2 && s[:2] == "ms":
			s = s[2:]
		case s[0] == 's' || s[0] == 'm' || s[0] == 'h' || s[0] == 'd' || s[0] == 'w' || s[0] == 'y':
			s = s[1:]
		default:
			return false
		}
	}
	return true
}

// printable reports whether s can be single-quoted: valid UTF-8 of
// printable characters only, and no line breaks (U+2028 and U+2029 are
// ones to YAML) or tabs, which YAML would fold or that read badly.
func printable(s string) bool {
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
		case r == utf8.RuneError, r < 0xa0, r == 0xfeff, r == 0x2028, r == 0x2029, r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
			return false
		}
	}
	return true
}

// appendTo appends the group as one item of the file's groups list.
func (g group) appendTo(b []byte) []byte {
	for _, c := range g.Comments {
		b = append(b, "# "...)
		b = append(b, strings.ReplaceAll(strings.ReplaceAll(c, "\r", " "), "\n", " ")...)
		b = append(b, '\n')
	}
	b = append(b, "- name: "...)
	b = appendScalar(b, g.Name)
	b = append(b, '\n')
	if g.Interval != "" {
		b = append(b, "  interval: "...)
		b = append(b, g.Interval...)
		b = append(b, '\n')
	}
	b = append(b, "  rules:\n"...)
	for _, r := range g.Rules {
		if r.Record != "" {
			b = append(b, "    - record: "...)
			b = appendScalar(b, r.Record)
		} else {
			b = append(b, "    - alert: "...)
			b = appendScalar(b, r.Alert)
		}
		b = append(b, "\n      expr: "...)
		b = appendScalar(b, r.Expr)
		b = append(b, '\n')
		if r.For != "" {
			b = append(b, "      for: "...)
			b = appendScalar(b, r.For)
			b = append(b, '\n')
		}
		b = appendMap(b, "labels", r.Labels)
		b = appendMap(b, "annotations", r.Annotations)
	}
	return b
}

// appendMap appends a map of strings with its keys sorted.
func appendMap(b []byte, name string, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	b = append(b, "      "...)
	b = append(b, name...)
	b = append(b, ":\n"...)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = append(b, "        "...)
		b = appendScalar(b, k)
		b = append(b, ": "...)
		b = appendScalar(b, m[k])
		b = append(b, '\n')
	}
	return b
}
