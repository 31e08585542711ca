package deploy

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// Marker describes one deployment, to be put where the team looks: a
// vertical line on graphs, a marker on trace views, a DORA event.
type Marker struct {
	// ID identifies the deployment; sinks that can use it to drop
	// duplicates do, so a retried send is not counted twice. Empty means
	// one is made when the marker is announced.
	ID string `json:"id"`
	// Service is required.
	Service     string `json:"service"`
	Version     string `json:"version,omitempty"`
	Revision    string `json:"revision,omitempty"`
	Repository  string `json:"repository,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Start and End bound the deployment. A zero Start means the time of
	// announcing; a zero End means the same as Start.
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Description string    `json:"description,omitempty"`
	// URL links to the pipeline run or release notes.
	URL string `json:"url,omitempty"`
	// Failed marks a deployment that failed or was rolled back.
	Failed bool `json:"failed,omitempty"`
}

// FromBuild returns a marker for service in environment with the version
// and revision of the running binary.
func FromBuild(service, environment string) Marker {
	b := Build()
	m := Marker{Service: service, Environment: environment, Version: b.Version}
	if b.RevisionKnown {
		m.Revision = b.Revision
	}
	return m
}

// Validate reports the first field of m that is not acceptable.
func (m Marker) Validate() error {
	switch {
	case m.Service == "":
		return fmt.Errorf("deploy: marker Service is empty")
	case !m.End.IsZero() && !m.Start.IsZero() && m.End.Before(m.Start):
		return fmt.Errorf("deploy: marker End %v is before Start %v", m.End.Format(time.RFC3339), m.Start.Format(time.RFC3339))
	}
	if m.URL != "" {
		if u, err := url.Parse(m.URL); err != nil || u.Scheme == "" {
			return fmt.Errorf("deploy: marker URL %q is not an absolute URL", m.URL)
		}
	}
	return nil
}

// complete fills the ID and times a marker left empty.
func (m Marker) complete(now time.Time) Marker {
	if m.ID == "" {
		var b [8]byte
		rand.Read(b[:])
		m.ID = m.Service + "-" + hex.EncodeToString(b[:])
	}
	if m.Start.IsZero() {
		m.Start = now
	}
	if m.End.IsZero() {
		m.End = m.Start
	}
	return m
}

// title is the one-line text sinks show.
func (m Marker) title() string {
	s := "deploy " + m.Service
	if m.Version != "" {
		s += " " + m.Version
	}
	if m.Environment != "" {
		s += " to " + m.Environment
	}
	if m.Failed {
		s += " (failed)"
	}
	if m.Description != "" {
		s += ": " + m.Description
	}
	return s
}

// LogValue lets a marker be logged with slog as a group.
func (m Marker) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", m.ID), slog.String("service", m.Service),
		slog.String("version", m.Version), slog.String("environment", m.Environment))
}

// Secret holds a token or API key. Every way fmt, slog, JSON and text
// encoding print it shows "[redacted]", so a secret cannot leak through a
// log line, an error or a config dump.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Secret) Format(f fmt.State, _ rune)   { f.Write([]byte(redacted)) }
func (s Secret) reveal() string             { return string(s) }
