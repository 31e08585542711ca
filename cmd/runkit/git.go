package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ybiyri/runkit/deploy"
)

// gitRepo runs git in one repository.
type gitRepo struct {
	ctx  context.Context
	path string // the git binary
	dir  string
}

// run runs git with args and stdin, and returns its standard output.
func (g gitRepo) run(stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(g.ctx, g.path, append([]string{"-C", g.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("git %s: %s", args[0], msg)
		}
		return "", fmt.Errorf("git %s: %v", args[0], err)
	}
	return stdout.String(), nil
}

// gitCommits sets the commits of each deployment from the repository at
// dir: those reachable from its revision and from no revision deployed
// before it to the same service and environment (only its own commit for
// the first one), at their committer time. Deployments
// whose marker has no revision keep the commit time the marker carries.
func gitCommits(ctx context.Context, dir string, markers []marker, deps []deploy.Deployment) error {
	path, err := exec.LookPath("git")
	if err != nil {
		return externalErrorf("--git: %v", err)
	}
	g := gitRepo{ctx, path, dir}
	if _, err := g.run("", "rev-parse", "--git-dir"); err != nil {
		return usageErrorf("--git %s: %v", dir, err)
	}

	// Every revision resolved at once.
	var revs []string
	where := map[string]string{} // revision → the first marker naming it
	for _, m := range markers {
		if r := m.Revision; r != "" && where[r] == "" {
			if strings.ContainsAny(r, " \t\n") {
				return usageErrorf("%s: revision %q is not a revision", m.pos, r)
			}
			where[r] = m.pos
			revs = append(revs, r)
		}
	}
	sha := map[string]string{}
	if len(revs) > 0 {
		var in strings.Builder
		for _, r := range revs {
			in.WriteString(r + "^{commit}\n")
		}
		out, err := g.run(in.String(), "cat-file", "--batch-check=%(objectname) %(objecttype)")
		if err != nil {
			return externalErrorf("--git %s: %v", dir, err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(revs) {
			return externalErrorf("--git %s: git cat-file answered %d lines for %d revisions", dir, len(lines), len(revs))
		}
		for i, l := range lines {
			f := strings.Fields(l)
			if len(f) != 2 || f[1] != "commit" {
				return usageErrorf("%s: revision %s is not a commit of the repository at %s (fetch it first?)", where[revs[i]], revs[i], dir)
			}
			sha[revs[i]] = f[0]
		}
	}

	// One entry per deployment ID, at its earliest marker, in time order
	// per service and environment.
	type entry struct {
		id, group, sha string
		time           time.Time
	}
	first := map[string]*entry{}
	var entries []*entry
	for i, m := range markers {
		if m.Revision == "" {
			continue
		}
		e := first[deps[i].ID]
		if e == nil {
			e = &entry{id: deps[i].ID, group: m.Service + "\x00" + m.Environment, sha: sha[m.Revision], time: deps[i].Time}
			first[deps[i].ID] = e
			entries = append(entries, e)
		} else if deps[i].Time.Before(e.time) {
			e.time, e.sha = deps[i].Time, sha[m.Revision]
		}
	}
	slices.SortStableFunc(entries, func(a, b *entry) int { return a.time.Compare(b.time) })
	commits := map[string][]time.Time{}
	deployed := map[string][]string{} // group → the shas deployed so far
	for _, e := range entries {
		// Not reachable from anything deployed before: what reached
		// production for the first time.
		args, in := []string{"log", "-1", "--format=%ct", e.sha, "--"}, ""
		if before := deployed[e.group]; len(before) > 0 {
			args = []string{"log", "--format=%ct", "--stdin", "--"}
			in = e.sha + "\n^" + strings.Join(before, "\n^") + "\n"
		}
		if !slices.Contains(deployed[e.group], e.sha) {
			deployed[e.group] = append(deployed[e.group], e.sha)
		}
		out, err := g.run(in, args...)
		if err != nil {
			return externalErrorf("--git %s: %v", dir, err)
		}
		var times []time.Time
		for _, l := range strings.Fields(out) {
			sec, err := strconv.ParseInt(l, 10, 64)
			if err != nil {
				return externalErrorf("--git %s: git log answered %q", dir, l)
			}
			times = append(times, time.Unix(sec, 0).UTC())
		}
		commits[e.id] = times
	}
	for i, m := range markers {
		if m.Revision != "" {
			deps[i].Commits = commits[deps[i].ID]
		}
	}
	return nil
}
