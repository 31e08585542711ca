package redact

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Redacted is what stands in for a hidden part.
const Redacted = "[redacted]"

// URL returns s with the parts of a URL that carry secrets replaced by
// "[redacted]". URLs carry tokens in the path
// (https://hooks.slack.com/services/T0/B0/TOKEN, a Telegram bot's
// https://api.telegram.org/bot<token>/sendMessage, a healthchecks ping's
// https://hc-ping.com/<uuid>), signed URLs in the query, and basic auth in
// the userinfo, and no segment of a path says whether it is one, so the
// rule is:
//
//   - the userinfo, user name included, is hidden: https://[redacted]@host
//   - the path is hidden, every segment of it: /[redacted]; a path of "/"
//     alone stays
//   - except the API paths runkit itself calls or serves, which hold no
//     secret (Grafana's /api/annotations, Datadog's
//     /api/v2/dora/deployment, Honeycomb's /1/markers/{dataset}, OTLP's
//     /v1/traces, the SLO status's /slo, the incident journal's
//     /events):
//     a path that ends with one, segment for segment, shows it, after
//     "/[redacted]" for whatever comes before it
//   - the query and the fragment are hidden: ?[redacted], #[redacted]
//   - the scheme, the host and the port stay, so that the result still
//     says where the URL points
//
// Text that is not an absolute URL — a typo such as "localhost:8080/slo"
// or "checkout.internal/slo" with no scheme, or a host that does not
// parse — follows the same rule read off the text, so that the mistake
// stays in sight: what comes before the first "/" is taken for the host,
// and is hidden up to its last "@" ("admin:hunter2@grafana.internal"
// shows as "[redacted]@grafana.internal"), or whole when what follows
// its last ":" is not a port number ("admin:hunter2" shows as
// "[redacted]"). The empty string stays empty.
func URL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || (u.Scheme == "" && u.Host == "" && u.User == nil) {
		return text(s)
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + ":")
	}
	afterScheme := s
	if u.Scheme != "" {
		afterScheme = s[len(u.Scheme)+1:]
	}
	if u.Host != "" || u.User != nil || strings.HasPrefix(afterScheme, "//") {
		b.WriteString("//")
	}
	if u.User != nil {
		b.WriteString(Redacted + "@")
	}
	b.WriteString(u.Host)
	writePath(&b, u.EscapedPath())
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + Redacted)
	}
	if u.Fragment != "" {
		b.WriteString("#" + Redacted)
	}
	return b.String()
}

// knownPaths are the API paths runkit calls or serves, which URL shows:
// they hold no secret, and they say what a URL is for. A "*" segment is
// any one segment that is not empty: a Honeycomb dataset's name, which
// deploy's sink labels show too.
var knownPaths = []string{
	"/api/annotations",        // Grafana's annotations, deploy's Grafana sink
	"/api/v2/dora/deployment", // Datadog's DORA deployments, deploy's Datadog sink
	"/1/markers/*",            // Honeycomb's markers of a dataset, deploy's Honeycomb sink
	"/v1/traces",              // OTLP over HTTP, telemetry's exporters
	"/v1/metrics",
	"/v1/logs",
	"/slo",    // an SLO tracker's status, which the deploy gate reads
	"/events", // an incident journal, which runkit timeline and postmortem read
}

// splitPath splits an escaped path into the part URL hides and the known
// API path at its end, if any: "/grafana/api/annotations" is "/grafana" and
// "/api/annotations".
func splitPath(p string) (unknown, known string) {
	for _, k := range knownPaths {
		i := len(p)
		for range strings.Count(k, "/") {
			if i = strings.LastIndexByte(p[:i], '/'); i < 0 {
				break
			}
		}
		if i >= 0 && matchPath(k, p[i:]) && !strings.HasSuffix(p[:i], "/") {
			return p[:i], p[i:]
		}
	}
	return p, ""
}

// matchPath reports whether path matches pattern segment for segment, a
// "*" of pattern matching any segment but an empty one.
func matchPath(pattern, path string) bool {
	for {
		pat, patRest, patMore := strings.Cut(pattern, "/")
		seg, segRest, segMore := strings.Cut(path, "/")
		if pat != seg && (pat != "*" || seg == "") {
			return false
		}
		if patMore != segMore {
			return false
		}
		if !patMore {
			return true
		}
		pattern, path = patRest, segRest
	}
}

// writePath writes p with every segment hidden but a known API path at
// its end.
func writePath(b *strings.Builder, p string) {
	unknown, known := splitPath(p)
	switch {
	case unknown == "" || unknown == "/":
		b.WriteString(unknown)
	case strings.HasPrefix(unknown, "/"):
		b.WriteString("/" + Redacted)
	default:
		b.WriteString(Redacted)
	}
	b.WriteString(known)
}

// text applies URL's rule to text that is not an absolute URL, reading
// its parts off the text as a user meant them.
func text(s string) string {
	rest, frag, hasFrag := strings.Cut(s, "#")
	rest, _, hasQuery := strings.Cut(rest, "?")
	var b strings.Builder
	if i := strings.Index(rest, "://"); i > 0 && isScheme(rest[:i]) {
		b.WriteString(rest[:i+3])
		rest = rest[i+3:]
	} else if strings.HasPrefix(rest, "//") {
		b.WriteString("//")
		rest = rest[2:]
	}
	host, path, hasPath := strings.Cut(rest, "/")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		b.WriteString(Redacted + "@")
		host = host[i+1:]
	}
	if i := strings.LastIndex(host, ":"); i >= 0 && !isPort(host[i+1:]) {
		// "user:password" reads as a host with a port that is none.
		host = Redacted
	}
	b.WriteString(host)
	if hasPath {
		writePath(&b, "/"+path)
	}
	if hasQuery {
		b.WriteString("?" + Redacted)
	}
	if hasFrag && frag != "" {
		b.WriteString("#" + Redacted)
	}
	return b.String()
}

func isScheme(s string) bool {
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// isPort reports whether s is a port number or empty ("host:" is a host
// with no port yet), or the end of an IPv6 literal ("[::1]").
func isPort(s string) bool {
	if strings.HasSuffix(s, "]") {
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Scrubber hides secrets in text that came from elsewhere: a vendor's
// answer that echoes the request, or a transport's error.
type Scrubber []string

// minScrub is the shortest part a Scrubber hides in free text: shorter
// ones ("v1", "api", "p") guard nothing and would garble the text.
const minScrub = 4

// NewScrubber returns a Scrubber for the parts of raw that URL hides and
// for every secret.
func NewScrubber(raw string, secrets ...string) Scrubber {
	var s Scrubber
	add := func(v string) {
		if len(v) >= minScrub {
			s = append(s, v)
			if d, err := url.PathUnescape(v); err == nil && d != v && len(d) >= minScrub {
				s = append(s, d)
			}
		}
	}
	for _, sec := range secrets {
		add(sec)
	}
	if u, err := url.Parse(raw); err == nil {
		if u.User != nil {
			add(u.User.String())
			add(u.User.Username())
			if p, ok := u.User.Password(); ok {
				add(p)
			}
		}
		add(u.Opaque)
		add(u.RawQuery)
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
			}
		}
		add(u.EscapedFragment())
		// Every segment URL hides, but one the host shows anyway: hiding
		// "grafana" of grafana.example.com/grafana would garble the
		// host in a transport error and guard nothing.
		unknown, _ := splitPath(u.EscapedPath())
		if unknown = strings.Trim(unknown, "/"); unknown != "" {
			if strings.Contains(unknown, "/") {
				add(unknown)
			}
			for seg := range strings.SplitSeq(unknown, "/") {
				if !strings.Contains(u.Host, seg) {
					add(seg)
				}
			}
		}
	}
	// Longest first, so that a part is not half hidden by one inside it.
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(s)
}

// Join returns the Scrubber that hides what each of ss hides.
func Join(ss ...Scrubber) Scrubber {
	var out Scrubber
	for _, s := range ss {
		out = append(out, s...)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// Text returns text with every part of s replaced by "[redacted]".
func (s Scrubber) Text(text string) string {
	for _, v := range s {
		text = strings.ReplaceAll(text, v, Redacted)
	}
	return text
}

// Error returns err with every part of s hidden. A *url.Error, which is
// what http.Client returns, is rebuilt with its URL redacted, so that
// errors.As still finds it; an error whose text shows a secret is replaced
// by one with the same text scrubbed, which errors.Is still matches
// against what the original matched (context.DeadlineExceeded, say).
func (s Scrubber) Error(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: URL(ue.URL), Err: s.Error(ue.Err)}
	}
	msg := err.Error()
	if clean := s.Text(msg); clean != msg {
		// The original is kept only behind a function, so that no fmt
		// verb can print it.
		return scrubbedError{msg: clean, is: func(target error) bool { return errors.Is(err, target) }}
	}
	return err
}

type scrubbedError struct {
	msg string
	is  func(error) bool
}

func (e scrubbedError) Error() string                { return e.msg }
func (e scrubbedError) Is(target error) bool         { return e.is(target) }
func (e scrubbedError) GoString() string             { return "scrubbedError{" + e.msg + "}" }
func (e scrubbedError) String() string               { return e.msg }
func (e scrubbedError) MarshalText() ([]byte, error) { return []byte(e.msg), nil }
