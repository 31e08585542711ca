package buildinfo

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// The environment variables that set a build's identity at run time, for
// an image built without VCS data whose version is known when it is
// deployed. Set, they win over the link-time overrides and over what the
// build recorded.
const (
	EnvVersion    = "RUNKIT_VERSION"
	EnvRevision   = "RUNKIT_REVISION"
	EnvCommitTime = "RUNKIT_COMMIT_TIME"
)

// withEnv applies the environment overrides that getenv reads to i. A
// malformed one is left out and reported in i.Err.
func (i Info) withEnv(getenv func(string) string) Info {
	if v := strings.TrimSpace(getenv(EnvVersion)); v != "" {
		i.Version = v
	}
	if v := strings.TrimSpace(getenv(EnvRevision)); v != "" {
		i.Revision = v
		i.Modified = false
	}
	if v := strings.TrimSpace(getenv(EnvCommitTime)); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			i.Err = fmt.Errorf("%s %q: want an RFC 3339 time such as 2026-05-01T14:03:00Z (git log -1 --format=%%cI)", EnvCommitTime, v)
		} else {
			i.Time = t
		}
	}
	return i
}

// readEnv is Read's source of the environment.
var readEnv = os.Getenv
