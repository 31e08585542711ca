package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"time"
)

// Link-time overrides, for builds without VCS data (a Docker build from a
// copied tree, say):
//
//	go build -ldflags "-X github.com/ybiyri/runkit/internal/buildinfo.version=1.4.2 \
//	  -X github.com/ybiyri/runkit/internal/buildinfo.revision=$(git rev-parse HEAD) \
//	  -X github.com/ybiyri/runkit/internal/buildinfo.commitTime=$(git log -1 --format=%cI)"
//
// Set values win over what the build recorded; the environment
// (RUNKIT_VERSION, RUNKIT_REVISION, RUNKIT_COMMIT_TIME) wins over them.
var (
	version    string
	revision   string
	commitTime string
)

// Info describes a build.
type Info struct {
	// Path and Version are the main module's path and version ("(devel)"
	// for a build from a work tree, or a link-time override).
	Path, Version string
	// Revision is the VCS revision, empty when unknown.
	Revision string
	// Time is the commit time of Revision, zero when unknown.
	Time time.Time
	// Modified is true when the work tree had uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
	// Err reports an override that could not be read, which was left
	// out: a commit time that is not RFC 3339.
	Err error
}

// Read returns the running binary's build info with the link-time and
// then the environment overrides applied.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	return From(bi, ok, version, revision, commitTime).withEnv(readEnv)
}

// From builds an Info from bi (ok false when there is none) and the three
// overrides, which win when set.
func From(bi *debug.BuildInfo, ok bool, overVersion, overRevision, overTime string) Info {
	var info Info
	if ok && bi != nil {
		info.Path = bi.Main.Path
		info.Version = bi.Main.Version
		info.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.time":
				info.Time, _ = time.Parse(time.RFC3339, s.Value)
			case "vcs.modified":
				info.Modified, _ = strconv.ParseBool(s.Value)
			}
		}
	}
	if overVersion != "" {
		info.Version = overVersion
	}
	if overRevision != "" {
		info.Revision = overRevision
		info.Modified = false
	}
	if overTime != "" {
		if t, err := time.Parse(time.RFC3339, overTime); err == nil {
			info.Time = t
		} else {
			info.Err = fmt.Errorf("link-time commitTime %q: want an RFC 3339 time such as 2026-05-01T14:03:00Z (git log -1 --format=%%cI)", overTime)
		}
	}
	return info
}
