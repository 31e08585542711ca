package incident

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ybiyri/runkit/internal/htmlpage"
	"github.com/ybiyri/runkit/internal/readonly"
)

var _ http.Handler = (*Journal)(nil)

// ServeHTTP serves the journal's events, oldest first: to a client whose
// Accept header prefers text/html, the timeline page (see WriteHTML); to
// any other, JSON lines (application/jsonl), one Event per line. It
// answers GET and HEAD only. The query selects events as a Filter does:
//
//	since=2026-12-03T13:00:00Z  since that time (RFC 3339), or
//	since=15m                   in the last 15 minutes (a Go duration)
//	until=...                   the same forms, for the end
//	kind=breaker,slo            of these kinds (repeatable)
//
// A value that does not parse is answered 400 with the parameter and
// value named. The page shows the last hour when the query sets no since.
func (j *Journal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !readonly.Allow(w, r) {
		return
	}
	w.Header().Add("Vary", "Accept")
	html := htmlpage.WantsHTML(r)
	now := j.now()
	f, err := ParseFilter(r.URL.Query(), now)
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if html {
		j.serveHTML(w, r, f, now)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, e := range j.Events(f) {
		enc.Encode(e)
	}
	bw.Flush()
}

// ParseFilter reads a Filter from /events' query parameters since, until
// and kind (see Journal.ServeHTTP), with durations counted back from now.
// It returns an error naming the parameter and the value that does not
// parse, an unknown kind, or a since after until.
func ParseFilter(q url.Values, now time.Time) (Filter, error) {
	var f Filter
	var err error
	if f.Since, err = parseTime(q, "since", now); err != nil {
		return Filter{}, err
	}
	if f.Until, err = parseTime(q, "until", now); err != nil {
		return Filter{}, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Since.After(f.Until) {
		return Filter{}, fmt.Errorf("incident: since %s is after until %s", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	for _, v := range q["kind"] {
		for k := range strings.SplitSeq(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if !validKind(Kind(k)) {
				return Filter{}, fmt.Errorf("incident: kind %q is none of %s", k, kindList())
			}
			f.Kinds = append(f.Kinds, Kind(k))
		}
	}
	return f, nil
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// parseTime reads parameter name as an RFC 3339 time or a non-negative
// duration back from now; absent or empty is the zero time.
func parseTime(q url.Values, name string, now time.Time) (time.Time, error) {
	vs := q[name]
	if len(vs) == 0 || vs[len(vs)-1] == "" {
		return time.Time{}, nil
	}
	if len(vs) > 1 {
		return time.Time{}, fmt.Errorf("incident: %s is given %d times", name, len(vs))
	}
	v := vs[0]
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("incident: %s %q is neither an RFC 3339 time nor a duration back from now such as 15m", name, v)
	}
	return now.Add(-d), nil
}
