package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/ybiyri/runkit/internal/redact"
)

// RedactURL returns s with the parts of a URL that carry secrets replaced
// by "[redacted]", for logs and errors. URLs carry tokens in the path
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
//     /v1/traces, /v1/metrics and /v1/logs, an SLO status's /slo, an
//     incident journal's /events): a path that ends with one, segment for
//     segment, shows it, after
//     "/[redacted]" for whatever comes before it
//     (https://grafana.example.com/[redacted]/api/annotations)
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
func RedactURL(s string) string { return redact.URL(s) }

// scrubber hides a sink's secrets in text that came from elsewhere: a
// vendor's answer that echoes the request, or a transport's error.
type scrubber struct{ redact.Scrubber }

// newScrubber returns a scrubber for the secret parts of raw (as RedactURL
// defines them) and for every secret.
func newScrubber(raw string, secrets ...Secret) scrubber {
	revealed := make([]string, len(secrets))
	for i, sec := range secrets {
		revealed[i] = sec.reveal()
	}
	return scrubber{redact.NewScrubber(raw, revealed...)}
}

func (s scrubber) apply(text string) string { return s.Text(text) }

// scrub returns err with every secret of s hidden (see redact.Scrubber.Error).
func (s scrubber) scrub(err error) error { return s.Error(err) }

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
	if c.Header != nil {
		h := make(http.Header, len(c.Header))
		for k, vs := range c.Header {
			h[k] = slices.Repeat([]string{redacted}, len(vs))
		}
		c.Header = h
	}
	return webhookFields(c)
}

// Format prints c with its URL redacted (see RedactURL) and the values of
// its Header and Secrets as "[redacted]".
func (c WebhookConfig) Format(f fmt.State, verb rune) {
	formatFields(f, verb, c.fields(), "WebhookConfig")
}

// LogValue logs c as Format prints it.
func (c WebhookConfig) LogValue() slog.Value { return slog.AnyValue(c.fields()) }

// MarshalJSON encodes c with its URL redacted and the values of its
// Header and Secrets as "[redacted]".
func (c WebhookConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.fields()) }
