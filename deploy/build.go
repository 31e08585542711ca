package deploy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ybiyri/runkit/internal/buildinfo"
	"github.com/ybiyri/runkit/internal/readonly"
)

// BuildInfo is what the running binary knows about its build.
type BuildInfo struct {
	// Path is the main module's path.
	Path string `json:"path,omitempty"`
	// Version is the main module's version: a tag for "go install
	// module@version" builds, "(devel)" from a work tree, or the link-time
	// override.
	Version string `json:"version,omitempty"`
	// Revision is the VCS revision, and RevisionKnown false when the build
	// recorded none (a build outside a repository, or with -buildvcs=false)
	// and no override set one.
	Revision      string `json:"revision"`
	RevisionKnown bool   `json:"revisionKnown"`
	// Time is the commit time of Revision, zero when unknown.
	Time time.Time `json:"time,omitzero"`
	// Modified is true when the work tree had uncommitted changes.
	Modified bool `json:"modified"`
	// GoVersion is the toolchain that built the binary.
	GoVersion string `json:"goVersion"`
}

// Build returns the running binary's build info, from
// runtime/debug.ReadBuildInfo with overrides applied. A build without VCS
// data (a container image built from a copied tree, or -buildvcs=false)
// has version "(devel)" and no revision, which identifies no deployment
// (see FromBuild); give it its identity at link time:
//
//	go build -ldflags "\
//	  -X github.com/ybiyri/runkit/internal/buildinfo.version=1.4.2 \
//	  -X github.com/ybiyri/runkit/internal/buildinfo.revision=$(git rev-parse HEAD) \
//	  -X github.com/ybiyri/runkit/internal/buildinfo.commitTime=$(git log -1 --format=%cI)"
//
// or at run time, from the deployment's manifest, with the environment
// variables RUNKIT_VERSION, RUNKIT_REVISION and RUNKIT_COMMIT_TIME (RFC
// 3339), which win over the link-time values. A commit time that does not
// parse is left out here, and FromBuild reports it.
//
// The telemetry package reads the same values for its resource.
func Build() BuildInfo { return fromInternal(buildinfo.Read()) }

func fromInternal(i buildinfo.Info) BuildInfo {
	b := BuildInfo{Path: i.Path, Version: i.Version, Revision: i.Revision, RevisionKnown: i.Revision != "",
		Time: i.Time, Modified: i.Modified, GoVersion: i.GoVersion}
	if !b.RevisionKnown {
		b.Revision = "unknown"
	}
	return b
}

// String describes the build in one line: "example.com/svc 1.4.2
// (abc1234, modified) go1.26.8".
func (b BuildInfo) String() string {
	rev := b.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if !b.RevisionKnown {
		rev = "revision unknown"
	}
	if b.Modified {
		rev += ", modified"
	}
	return fmt.Sprintf("%s %s (%s) %s", b.Path, b.Version, rev, b.GoVersion)
}

// VersionHandler serves Build() as JSON, for /version.
func VersionHandler() http.Handler {
	body, _ := json.Marshal(Build())
	body = append(body, '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readonly.Allow(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	})
}
