package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// RedactURL returns s with the parts of a URL that carry secrets replaced
// by "[redacted]", for logs and errors. Webhook URLs keep their token in the
// path (https://hooks.slack.com/services/T0/B0/TOKEN), signed URLs in the
// query, and basic auth in the userinfo, so the rule is:
//
//   - the userinfo, user name included, is hidden: https://[redacted]@host
//   - every path segment after the first is hidden: /services/[redacted]
//   - the query and the fragment are hidden: ?[redacted], #[redacted]
//   - the scheme, the host, the port and the first path segment stay, so
//     that the result still says where the URL points
//
// A string that does not parse as a URL, or parses as an opaque one (as
// "admin:hunter2@grafana.internal" does, with "admin" for its scheme), is
// "[redacted]" as a whole. The empty string stays empty.
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return redacted
	}
	if u.Opaque != "" {
		// "user:password@host" reads as scheme "user": nothing of it is
		// safe to show.
		return redacted
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
		b.WriteString(redacted + "@")
	}
	b.WriteString(u.Host)
	p := u.EscapedPath()
	if strings.HasPrefix(p, "/") {
		b.WriteByte('/')
		p = p[1:]
	}
	first, rest, more := strings.Cut(p, "/")
	b.WriteString(first)
	if more {
		b.WriteByte('/')
		if rest != "" {
			b.WriteString(redacted)
		}
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?" + redacted)
	}
	if u.Fragment != "" {
		b.WriteString("#" + redacted)
	}
	return b.String()
}

// scrubber hides a sink's secrets in text that came from elsewhere: a
// vendor's answer that echoes the request, or a transport's error.
type scrubber []string

// minScrub is the shortest part a scrubber hides in free text: shorter
// ones ("v1", "api", "p") guard nothing and would garble the text.
const minScrub = 4

// newScrubber returns a scrubber for the secret parts of raw (as RedactURL
// defines them) and for every secret.
func newScrubber(raw string, secrets ...Secret) scrubber {
	var s scrubber
	add := func(v string) {
		if len(v) >= minScrub {
			s = append(s, v)
			if d, err := url.PathUnescape(v); err == nil && d != v && len(d) >= minScrub {
				s = append(s, d)
			}
		}
	}
	for _, sec := range secrets {
		add(sec.reveal())
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
		if _, rest, ok := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/"); ok {
			add(rest)
			for seg := range strings.SplitSeq(rest, "/") {
				add(seg)
			}
		}
	}
	// Longest first, so that a part is not half hidden by one inside it.
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(s)
}

func (s scrubber) apply(text string) string {
	for _, v := range s {
		text = strings.ReplaceAll(text, v, redacted)
	}
	return text
}

// scrub returns err with every secret of s hidden. A *url.Error, which is
// what http.Client returns, is rebuilt with its URL redacted, so that
// errors.As still finds it; an error whose text shows a secret is replaced
// by one with the same text scrubbed, which errors.Is still matches
// against what the original matched (context.DeadlineExceeded, say).
func (s scrubber) scrub(err error) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok {
		return &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: s.scrub(ue.Err)}
	}
	msg := err.Error()
	if clean := s.apply(msg); clean != msg {
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
func (e scrubbedError) GoString() string             { return "deploy.scrubbedError{" + e.msg + "}" }
func (e scrubbedError) String() string               { return e.msg }
func (e scrubbedError) MarshalText() ([]byte, error) { return []byte(e.msg), nil }

// A sink's config holds its URL as a plain string, so the configs redact
// themselves as Secret does: fmt (every verb), slog and JSON show the URL
// through RedactURL and secrets as "[redacted]". Each config converts to a
// type of the same fields without these methods, which does the printing.
type (
	grafanaFields   GrafanaConfig
	honeycombFields HoneycombConfig
	datadogFields   DatadogConfig
	webhookFields   WebhookConfig
)

// formatFields prints v, a config's fields with its URL redacted, under
// the config's own type name.
func formatFields(f fmt.State, verb rune, v any, name string) {
	s := fmt.Sprintf(fmt.FormatString(f, verb), v)
	if verb == 'v' && f.Flag('#') {
		s = strings.Replace(s, fmt.Sprintf("%T", v), "deploy."+name, 1)
	}
	io.WriteString(f, s)
}

func (c GrafanaConfig) fields() grafanaFields {
	c.URL = RedactURL(c.URL)
	return grafanaFields(c)
}

// Format prints c with its URL redacted (see RedactURL) and its token as
// "[redacted]".
func (c GrafanaConfig) Format(f fmt.State, verb rune) {
	formatFields(f, verb, c.fields(), "GrafanaConfig")
}

// LogValue logs c as Format prints it.
func (c GrafanaConfig) LogValue() slog.Value { return slog.AnyValue(c.fields()) }

// MarshalJSON encodes c with its URL redacted and its token as
// "[redacted]"; it is for logs and config dumps, not for reading back.
func (c GrafanaConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.fields()) }

func (c HoneycombConfig) fields() honeycombFields {
	c.URL = RedactURL(c.URL)
	return honeycombFields(c)
}

// Format prints c with its URL redacted (see RedactURL) and its key as
// "[redacted]".
func (c HoneycombConfig) Format(f fmt.State, verb rune) {
	formatFields(f, verb, c.fields(), "HoneycombConfig")
}

// LogValue logs c as Format prints it.
func (c HoneycombConfig) LogValue() slog.Value { return slog.AnyValue(c.fields()) }

// MarshalJSON encodes c with its URL redacted and its key as "[redacted]".
func (c HoneycombConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.fields()) }

func (c DatadogConfig) fields() datadogFields {
	c.URL = RedactURL(c.URL)
	return datadogFields(c)
}

// Format prints c with its URL redacted (see RedactURL) and its API key as
// "[redacted]".
func (c DatadogConfig) Format(f fmt.State, verb rune) {
	formatFields(f, verb, c.fields(), "DatadogConfig")
}

// LogValue logs c as Format prints it.
func (c DatadogConfig) LogValue() slog.Value { return slog.AnyValue(c.fields()) }

// MarshalJSON encodes c with its URL redacted and its API key as
// "[redacted]".
func (c DatadogConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.fields()) }

func (c WebhookConfig) fields() webhookFields {
	c.URL = RedactURL(c.URL)
	return webhookFields(c)
}

// Format prints c with its URL redacted (see RedactURL) and its secret
// header values as "[redacted]".
func (c WebhookConfig) Format(f fmt.State, verb rune) {
	formatFields(f, verb, c.fields(), "WebhookConfig")
}

// LogValue logs c as Format prints it.
func (c WebhookConfig) LogValue() slog.Value { return slog.AnyValue(c.fields()) }

// MarshalJSON encodes c with its URL redacted and its secret header values
// as "[redacted]".
func (c WebhookConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.fields()) }
