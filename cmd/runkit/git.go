package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
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

// command returns git with args and stdin, in the repository, its errors
// in stderr.
func (g gitRepo) command(stdin string, stderr *bytes.Buffer, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(g.ctx, g.path, append([]string{"-C", g.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stderr = stderr
	return cmd
}

// failed is the error of git's run: what it said on stderr, or else err.
func failed(args []string, stderr *bytes.Buffer, err error) error {
	if msg := strings.TrimSpace(stderr.String()); msg != "" {
		return fmt.Errorf("git %s: %s", args[0], msg)
	}
	return fmt.Errorf("git %s: %v", args[0], err)
}

// run runs git with args and stdin, and returns its standard output.
func (g gitRepo) run(stdin string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := g.command(stdin, &stderr, args...)
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		return "", failed(args, &stderr, err)
	}
	return stdout.String(), nil
}

// gitCommits sets the commits of each deployment from the repository at
// dir: those reachable from its revision and from no revision deployed
// before it to the same service and environment (only its own commit for
// the first one), at their committer time. Deployments
// whose marker has no revision keep the commit time the marker carries.
//
// It runs git three times whatever the number of deployments: to check
// the repository, to resolve every revision, and to walk the history
// behind them all once; prog reports the walk.
func gitCommits(ctx context.Context, dir string, markers []marker, deps []deploy.Deployment, prog *progress) error {
	g, entries, err := gitEntries(ctx, dir, markers, deps)
	if err != nil {
		return err
	}

	// One walk of the history behind every deployed commit, then each
	// deployment's commits from it, in memory.
	var tips []string
	for _, e := range entries {
		tips = append(tips, e.sha)
	}
	h, err := g.history(tips, prog)
	if err != nil {
		return externalErrorf("--git %s: %v", dir, err)
	}
	commits := h.deployed(entries, prog)
	byID := map[string][]time.Time{}
	for i, e := range entries {
		byID[e.id] = commits[i]
	}
	for i, m := range markers {
		if m.Revision != "" {
			deps[i].Commits = byID[deps[i].ID]
		}
	}
	return nil
}

// gitEntries checks the repository at dir and resolves every marker's
// revision at once: it returns one entry per deployment ID with a
// revision, at its earliest marker, in time order.
func gitEntries(ctx context.Context, dir string, markers []marker, deps []deploy.Deployment) (gitRepo, []*gitEntry, error) {
	path, err := exec.LookPath("git")
	if err != nil {
		return gitRepo{}, nil, externalErrorf("--git: %v", err)
	}
	g := gitRepo{ctx, path, dir}
	if _, err := g.run("", "rev-parse", "--git-dir"); err != nil {
		return gitRepo{}, nil, usageErrorf("--git %s: %v", dir, err)
	}

	// Every revision resolved at once.
	var revs []string
	where := map[string]string{} // revision → the first marker naming it
	for _, m := range markers {
		if r := m.Revision; r != "" && where[r] == "" {
			if strings.ContainsAny(r, " \t\n") {
				return gitRepo{}, nil, usageErrorf("%s: revision %q is not a revision", m.pos, r)
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
			return gitRepo{}, nil, externalErrorf("--git %s: %v", dir, err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(revs) {
			return gitRepo{}, nil, externalErrorf("--git %s: git cat-file answered %d lines for %d revisions", dir, len(lines), len(revs))
		}
		for i, l := range lines {
			f := strings.Fields(l)
			if len(f) != 2 || f[1] != "commit" {
				return gitRepo{}, nil, usageErrorf("%s: revision %s is not a commit of the repository at %s (fetch it first?)", where[revs[i]], revs[i], dir)
			}
			sha[revs[i]] = f[0]
		}
	}

	// One entry per deployment ID, at its earliest marker, in time order
	// per service and environment.
	first := map[string]*gitEntry{}
	var entries []*gitEntry
	for i, m := range markers {
		if m.Revision == "" {
			continue
		}
		e := first[deps[i].ID]
		if e == nil {
			e = &gitEntry{id: deps[i].ID, group: m.Service + "\x00" + m.Environment, sha: sha[m.Revision], time: deps[i].Time}
			first[deps[i].ID] = e
			entries = append(entries, e)
		} else if deps[i].Time.Before(e.time) {
			e.time, e.sha = deps[i].Time, sha[m.Revision]
		}
	}
	slices.SortStableFunc(entries, func(a, b *gitEntry) int { return a.time.Compare(b.time) })
	return g, entries, nil
}

// gitEntry is one deployment with a revision: its ID, its service and
// environment, the commit it deployed and when.
type gitEntry struct {
	id, group, sha string
	time           time.Time
}

// history is the commit graph behind some commits: every commit reachable
// from them, with its committer time and its parents, by index.
type history struct {
	index   map[string]int32 // full hash → index
	time    []int64          // committer time, Unix seconds
	parents [][]int32        // a parent outside the walk (a shallow clone's edge) is left out
}

// history walks the history behind tips once, with one git log.
func (g gitRepo) history(tips []string, prog *progress) (*history, error) {
	h := &history{index: map[string]int32{}}
	if len(tips) == 0 {
		return h, nil
	}
	// Streamed, not buffered: a large history is read as it comes.
	args := []string{"log", "--format=%H %ct %P", "--stdin", "--"}
	var stderr bytes.Buffer
	cmd := g.command(strings.Join(tips, "\n")+"\n", &stderr, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, failed(args, &stderr, err)
	}
	var parents [][]string // by index, the hashes, resolved once all are known
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var bad string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			bad = sc.Text()
			continue
		}
		sec, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			bad = sc.Text()
			continue
		}
		if _, ok := h.index[f[0]]; ok {
			continue
		}
		h.index[f[0]] = int32(len(h.time))
		h.time = append(h.time, sec)
		parents = append(parents, f[2:])
		if len(h.time)%4096 == 0 {
			prog.report("walking the git history: %d commits", len(h.time))
		}
	}
	scanErr := sc.Err()
	if scanErr != nil {
		io.Copy(io.Discard, out)
	}
	if err := cmd.Wait(); err != nil {
		return nil, failed(args, &stderr, err)
	}
	switch {
	case scanErr != nil:
		return nil, fmt.Errorf("git log: %v", scanErr)
	case bad != "":
		return nil, fmt.Errorf("git log answered %q", bad)
	}
	h.parents = make([][]int32, len(parents))
	for i, ps := range parents {
		for _, p := range ps {
			if j, ok := h.index[p]; ok {
				h.parents[i] = append(h.parents[i], j)
			}
		}
	}
	return h, nil
}

// deployed returns the commit times of each of items, taken in order: the
// commits reachable from its commit and from no commit of an earlier item
// of the same group, newest first (only its own commit for the first of a
// group), as git log REV ^EARLIER... lists them. Each commit is visited
// at most once per group.
func (h *history) deployed(items []*gitEntry, prog *progress) [][]time.Time {
	out := make([][]time.Time, len(items))
	seen := map[string][]bool{} // group → commits reachable from what it deployed
	started := map[string]bool{}
	var stack []int32
	for n, it := range items {
		group, sha := it.group, it.sha
		s := seen[group]
		if s == nil {
			s = make([]bool, len(h.time))
			seen[group] = s
		}
		tip, ok := h.index[sha]
		if !ok || s[tip] {
			continue
		}
		first := !started[group]
		started[group] = true
		var times []time.Time
		stack = append(stack[:0], tip)
		s[tip] = true
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !first || c == tip {
				times = append(times, time.Unix(h.time[c], 0).UTC())
			}
			for _, p := range h.parents[c] {
				if !s[p] {
					s[p] = true
					stack = append(stack, p)
				}
			}
		}
		slices.SortStableFunc(times, func(a, b time.Time) int { return b.Compare(a) })
		out[n] = times
		if n%1024 == 1023 {
			prog.report("commits of each deployment: %d of %d", n+1, len(items))
		}
	}
	return out
}
