// Package promql holds the few checks of PromQL text that runkit makes
// without a PromQL parser: where quoted strings end, and whether
// parentheses, brackets, braces and quotes pair up. Package slo/promrules
// uses them on the templates it fills in, and slo/openslo on the queries
// of Prometheus sources, so that a query Prometheus would refuse is a
// problem where it is written.
package promql

import "fmt"

// SkipQuoted returns the index after the quoted string that starts at i,
// with its quote, ", ' or `; past len(s) when nothing closes it. A
// backslash escapes the next character, except in backquotes.
func SkipQuoted(s string, i int) int {
	q := s[i]
	i++
	for i < len(s) && s[i] != q {
		if s[i] == '\\' && q != '`' {
			i++
		}
		i++
	}
	return i + 1
}

// Unbalanced says where expr's parentheses, brackets, braces or quotes
// do not pair up, or returns "": Prometheus would refuse such a query
// when it loads the rules.
func Unbalanced(expr string) string {
	var open []int
	pair := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch c {
		case '"', '\'', '`':
			end := SkipQuoted(expr, i)
			if end > len(expr) {
				return fmt.Sprintf("has a %c at character %d that no %c closes", c, i+1, c)
			}
			i = end
			continue
		case '(', '[', '{':
			open = append(open, i)
		case ')', ']', '}':
			if len(open) == 0 {
				return fmt.Sprintf("has a %c at character %d that closes nothing open", c, i+1)
			}
			if o := open[len(open)-1]; expr[o] != pair[c] {
				return fmt.Sprintf("has a %c at character %d where the %c at character %d is to be closed", c, i+1, expr[o], o+1)
			}
			open = open[:len(open)-1]
		}
		i++
	}
	if len(open) > 0 {
		o := open[len(open)-1]
		return fmt.Sprintf("has a %c at character %d that is never closed", expr[o], o+1)
	}
	return ""
}
