package htmlpage

import (
	"net/http"
	"strconv"
	"strings"
)

// WantsHTML reports whether the request's Accept header prefers an HTML
// page to JSON: text/html (or application/xhtml+xml) is acceptable and
// ranked strictly above application/json, each media type taking the
// quality of the most specific range that matches it (RFC 9110, section
// 12.5.1). A browser's "text/html,...,*/*;q=0.8" gets the page; curl's
// "*/*", "application/json", a tie and a missing header get JSON.
func WantsHTML(r *http.Request) bool {
	var html, json quality
	for _, h := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(h, ",") {
			mt, q, ok := parseMediaRange(part)
			if !ok {
				continue
			}
			html.match(mt, q, "text", "html")
			html.match(mt, q, "application", "xhtml+xml")
			json.match(mt, q, "application", "json")
		}
	}
	return html.q > 0 && html.q > json.q
}

// quality is the quality of one media type, from the most specific range
// matching it so far; a type several ranges name alike keeps the best.
type quality struct {
	q           float64
	specificity int // 0: none, 1: */*, 2: type/*, 3: type/subtype
}

func (a *quality) match(mt string, q float64, typ, sub string) {
	spec := 0
	switch {
	case mt == typ+"/"+sub:
		spec = 3
	case mt == typ+"/*":
		spec = 2
	case mt == "*/*":
		spec = 1
	default:
		return
	}
	if spec > a.specificity || (spec == a.specificity && q > a.q) {
		a.q, a.specificity = q, spec
	}
}

// parseMediaRange reads one element of an Accept header, "type/sub;
// param=x; q=0.8", into the lower-cased range and its quality (1 when
// absent). It reports false for an element that is not a media range or
// whose q is not a number in [0, 1].
func parseMediaRange(s string) (mt string, q float64, ok bool) {
	mt, params, _ := strings.Cut(s, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	typ, sub, found := strings.Cut(mt, "/")
	if !found || typ == "" || sub == "" || strings.ContainsAny(sub, "/ \t") || (typ == "*" && sub != "*") {
		return "", 0, false
	}
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 || strings.ContainsAny(v, "eEnN+-xXpP_") {
			return "", 0, false
		}
		q = f
	}
	return mt, q, true
}
