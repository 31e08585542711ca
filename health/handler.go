package health

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ybiyri/runkit/internal/readonly"
)

// ContentType is the media type of every health response, from the IETF
// draft "Health Check Response Format for HTTP APIs".
const ContentType = "application/health+json"

// Shared header values. A value slice of length and capacity one is never
// modified in place by net/http, and an append by a later middleware
// copies it, so sharing saves two allocations per response.
var (
	hdrContentType  = []string{ContentType}
	hdrCacheControl = []string{"no-store"}
)

// Terse bodies, written without encoding.
var terseBody = [...][]byte{
	StatusUnknown: []byte(`{"status":"fail"}` + "\n"),
	StatusPass:    []byte(`{"status":"pass"}` + "\n"),
	StatusWarn:    []byte(`{"status":"warn"}` + "\n"),
	StatusFail:    []byte(`{"status":"fail"}` + "\n"),
}

// Handler returns the HTTP handler that serves the probes. Mount it at "/"
// or under any prefix (no StripPrefix is needed): it serves
//
//	/livez, /readyz, /startupz   the checks of that probe
//	/healthz                     every check
//	/readyz/NAME (and so on)     one check of that probe
//
// for GET and HEAD, answering 200 for pass and warn and 503 for fail. The
// query may carry ?exclude=NAME, repeated, and ?verbose; see WithVerbose and
// WithAuthorizer for what a verbose response shows.
func (c *Checker) Handler() http.Handler { return handler{c} }

type handler struct{ c *Checker }

var _ http.Handler = handler{}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.c.init()
	if !readonly.Allow(w, r) {
		return
	}
	probe, only, ok := route(r.URL.Path)
	if !ok || (only != "" && !h.c.has(probe, only)) {
		http.NotFound(w, r)
		return
	}

	exclude, verbose := parseQuery(r.URL.RawQuery)
	verbose = verbose && h.c.cfg.verbose

	hdr := w.Header()
	hdr["Content-Type"] = hdrContentType
	hdr["Cache-Control"] = hdrCacheControl

	if !verbose {
		st, _ := h.c.evaluate(r.Context(), probe, only, exclude, nil)
		w.WriteHeader(code(st))
		if r.Method != http.MethodHead {
			w.Write(terseBody[st])
		}
		return
	}

	var buf [8]Result
	results := buf[:0]
	st, draining := h.c.evaluate(r.Context(), probe, only, exclude, &results)
	detail := h.c.cfg.authorize != nil && h.c.cfg.authorize(r)
	w.WriteHeader(code(st))
	if r.Method != http.MethodHead {
		bp := bufPool.Get().(*[]byte)
		*bp = h.c.appendVerbose((*bp)[:0], st, draining, results, detail)
		w.Write(*bp)
		bufPool.Put(bp)
	}
}

// parseQuery reads the exclude and verbose parameters without building a
// url.Values map. A value that does not unescape is taken as written.
func parseQuery(q string) (exclude []string, verbose bool) {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, hasValue := strings.Cut(kv, "=")
		switch k {
		case "verbose":
			verbose = !hasValue || (v != "false" && v != "0")
		case "exclude":
			if strings.ContainsAny(v, "%+") {
				if u, err := url.QueryUnescape(v); err == nil {
					v = u
				}
			}
			exclude = append(exclude, v)
		}
	}
	return exclude, verbose
}

func code(st Status) int {
	if st == StatusFail || st == StatusUnknown {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

// route finds the probe, and the check when the path names one, from the
// end of the path, so that any mount prefix works.
func route(path string) (p Probe, only string, ok bool) {
	path = strings.TrimSuffix(path, "/")
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return 0, "", false
	}
	if p, ok := probeFor(path[i+1:]); ok {
		return p, "", true
	}
	j := strings.LastIndexByte(path[:i], '/')
	if j < 0 {
		return 0, "", false
	}
	if p, ok := probeFor(path[j+1 : i]); ok && i+1 < len(path) {
		return p, path[i+1:], true
	}
	return 0, "", false
}

func probeFor(seg string) (Probe, bool) {
	switch seg {
	case "livez":
		return Liveness, true
	case "readyz":
		return Readiness, true
	case "startupz":
		return Startup, true
	case "healthz":
		return allProbes, true
	}
	return 0, false
}

func (c *Checker) has(probe Probe, name string) bool {
	e := c.lookup(name)
	return e != nil && e.check.Probes&probe != 0
}

// bufPool holds response buffers for verbose bodies.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendVerbose appends a verbose health+json body. It is written by hand
// rather than with encoding/json because probes are frequent and the shape
// is fixed; the tests decode it with encoding/json. Per-check fields:
// status, time, observedValue and observedUnit (the last run's duration in
// ms), componentType, output (only when detail is true) and the extension
// "critical".
func (c *Checker) appendVerbose(b []byte, st Status, draining bool, results []Result, detail bool) []byte {
	b = append(b, `{"status":"`...)
	b = append(b, wireStatus(st)...)
	b = append(b, '"')
	b = appendField(b, "version", c.cfg.version)
	b = appendField(b, "releaseId", c.cfg.releaseID)
	b = appendField(b, "serviceId", c.cfg.serviceID)
	b = appendField(b, "description", c.cfg.description)
	if draining && st == StatusFail {
		b = appendField(b, "output", "draining")
	}
	if len(results) > 0 {
		b = append(b, `,"checks":{`...)
		for i, r := range results {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, r.Name)
			b = append(b, `:[{"componentType":"component","status":"`...)
			b = append(b, wireStatus(r.Status)...)
			b = append(b, '"')
			if !r.Time.IsZero() {
				b = append(b, `,"time":"`...)
				b = r.Time.UTC().AppendFormat(b, timeLayout)
				b = append(b, '"')
			}
			b = append(b, `,"observedValue":`...)
			b = strconv.AppendFloat(b, float64(r.Duration)/float64(time.Millisecond), 'f', -1, 64)
			b = append(b, `,"observedUnit":"ms"`...)
			if detail {
				switch {
				case r.Err != nil:
					b = appendField(b, "output", r.Err.Error())
				case r.Status == StatusUnknown:
					b = appendField(b, "output", "no result yet")
				}
			}
			b = append(b, `,"critical":`...)
			b = strconv.AppendBool(b, r.Severity == Critical)
			b = append(b, "}]"...)
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// appendField appends ,"key":"value" unless value is empty.
func appendField(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		ch := s[i]
		if ch < utf8.RuneSelf {
			if ch >= 0x20 && ch != '"' && ch != '\\' && ch != '<' && ch != '>' && ch != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch ch {
			case '"', '\\':
				b = append(b, '\\', ch)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[ch>>4], hex[ch&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// wireStatus maps a status onto the three values of health+json.
func wireStatus(st Status) string {
	if st == StatusUnknown {
		return "fail"
	}
	return st.String()
}
