package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/ybiyri/runkit/internal/buildinfo"
)

// Marker describes one deployment, to be put where the team looks: a
// vertical line on graphs, a marker on trace views, a DORA event.
type Marker struct {
	// ID identifies the deployment; sinks that can use it to drop
	// duplicates do, so a retried send is not counted twice, and
	// MeasureDORA counts a deployment once however many markers carry its
	// ID. Empty means ID(Service, Environment, Version, Revision), made
	// when the marker is announced: every replica of one deployment, and
	// every restart of it, sends the same ID. A marker needs at least one
	// of ID, Version (other than "(devel)") and Revision: see
	// ErrUnidentified.
	ID string `json:"id"`
	// Service is required.
	Service  string `json:"service"`
	Version  string `json:"version,omitempty"`
	Revision string `json:"revision,omitempty"`
	// CommitTime is the time of Revision's commit, zero when unknown. It
	// gives Deployment its lead time.
	CommitTime  time.Time `json:"commitTime,omitzero"`
	Repository  string    `json:"repository,omitempty"`
	Environment string    `json:"environment,omitempty"`
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

// FromBuild returns a marker for service in environment with the version,
// revision and commit time of the running binary (see Build).
//
// A build without VCS data — a container image built from a copied tree,
// or with -buildvcs=false — has version "(devel)" and no revision, so
// every such build would get the one ID, and MeasureDORA would count all
// its deployments as one. FromBuild then returns the marker with an error
// that wraps ErrUnidentified, and Announce refuses it: give the build its
// identity with RUNKIT_VERSION or RUNKIT_REVISION in the environment, or
// at link time (see Build), or set the marker's ID. An error also reports
// a RUNKIT_COMMIT_TIME that is not an RFC 3339 time.
func FromBuild(service, environment string) (Marker, error) {
	i := buildinfo.Read()
	b := fromInternal(i)
	m := Marker{Service: service, Environment: environment, Version: b.Version, CommitTime: b.Time}
	if b.RevisionKnown {
		m.Revision = b.Revision
	}
	if i.Err != nil {
		return m, fmt.Errorf("deploy: build info: %w", i.Err)
	}
	if err := m.Validate(); err != nil {
		return m, err
	}
	return m, nil
}

// ErrUnidentified is wrapped by the error of a marker that does not
// identify its deployment: no ID, no Revision, and a Version that is
// empty or "(devel)" (what a build without VCS data reports). Every
// deployment of its service to its environment would get the one ID, and
// MeasureDORA would count them as one.
var ErrUnidentified = errors.New("deploy: marker does not identify its deployment")

// unidentified explains ErrUnidentified for m.
func (m Marker) unidentified() error {
	what := "no Version, Revision or ID"
	if m.Version == develVersion {
		what = `Version "(devel)" (a build without VCS data) and no Revision or ID`
	}
	where := m.Service
	if m.Environment != "" {
		where += " in " + m.Environment
	}
	return fmt.Errorf("%w: %s has %s; every deployment would get the one ID %s, which MeasureDORA counts once. "+
		"Set %s or %s, or -ldflags at build time (see deploy.Build), or the marker's ID",
		ErrUnidentified, where, what, ID(m.Service, m.Environment, m.Version, m.Revision), buildinfo.EnvVersion, buildinfo.EnvRevision)
}

// develVersion is the main module's version in a build from a work tree.
const develVersion = "(devel)"

// ID returns the ID of the deployment of a service's version and revision
// to an environment: the service, a dash, and the first 16 hex digits of
// the SHA-256 of the four fields written as netstrings, in this order. For
// checkout 1.4.2 at abc123 in production that is
//
//	printf '8:checkout,10:production,5:1.4.2,6:abc123,' | sha256sum
//
// so "checkout-21fa4e2e454d71f7". Markers of one deployment, from every
// replica and every restart, then carry one ID. With neither version nor
// revision, every deployment of a service to an environment has the same
// ID, so Marker.Validate refuses a marker without them (ErrUnidentified):
// set at least one, or set Marker.ID yourself.
func ID(service, environment, version, revision string) string {
	h := sha256.New()
	for _, f := range [...]string{service, environment, version, revision} {
		fmt.Fprintf(h, "%d:%s,", len(f), f)
	}
	var sum [sha256.Size]byte
	return service + "-" + hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// Deployment returns the deployment m marks, for MeasureDORA: its ID (or
// the one ID makes), its Start, whether it failed, and CommitTime as its
// one commit when known. A marker knows only its head commit, so lead
// times from markers leave out the older commits a deployment carried.
func (m Marker) Deployment() Deployment {
	d := Deployment{ID: m.ID, Time: m.Start, Failed: m.Failed}
	if d.ID == "" {
		d.ID = ID(m.Service, m.Environment, m.Version, m.Revision)
	}
	if !m.CommitTime.IsZero() {
		d.Commits = []time.Time{m.CommitTime}
	}
	return d
}

// Validate reports the first field of m that is not acceptable, naming
// it and its value: Service blank, or holding a control character (as
// may Environment, Version, Revision and ID, which make the ID and the
// sinks' titles); End before Start, or CommitTime after Start (a
// deployment cannot precede its commit), where both are set; URL not
// absolute. A marker that does not identify its deployment (see
// ErrUnidentified) is an error too.
func (m Marker) Validate() error {
	if strings.TrimSpace(m.Service) == "" {
		if m.Service == "" {
			return fmt.Errorf("deploy: marker Service is empty")
		}
		return fmt.Errorf("deploy: marker Service %q is blank", m.Service)
	}
	for _, f := range [...]struct{ name, v string }{{"Service", m.Service}, {"Environment", m.Environment},
		{"Version", m.Version}, {"Revision", m.Revision}, {"ID", m.ID}} {
		if strings.ContainsFunc(f.v, unicode.IsControl) {
			return fmt.Errorf("deploy: marker %s %q holds a control character", f.name, f.v)
		}
	}
	switch {
	case !m.End.IsZero() && !m.Start.IsZero() && m.End.Before(m.Start):
		return fmt.Errorf("deploy: marker End %v is before Start %v", m.End.Format(time.RFC3339), m.Start.Format(time.RFC3339))
	case !m.CommitTime.IsZero() && !m.Start.IsZero() && m.CommitTime.After(m.Start):
		return fmt.Errorf("deploy: marker CommitTime %v is after Start %v: a deployment cannot precede its commit",
			m.CommitTime.Format(time.RFC3339), m.Start.Format(time.RFC3339))
	}
	if m.URL != "" {
		if u, err := url.Parse(m.URL); err != nil || u.Scheme == "" {
			return fmt.Errorf("deploy: marker URL %q is not an absolute URL", m.URL)
		}
	}
	if m.ID == "" && m.Revision == "" && (m.Version == "" || m.Version == develVersion) {
		return m.unidentified()
	}
	return nil
}

// complete fills the ID and times a marker left empty.
func (m Marker) complete(now time.Time) Marker {
	if m.ID == "" {
		m.ID = ID(m.Service, m.Environment, m.Version, m.Revision)
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
