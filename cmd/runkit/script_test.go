package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.uber.org/goleak"
)

// raceEnabled is set when the tests run with -race; the binary is then
// built with it too.
var raceEnabled bool

// binDir holds the runkit binary the scripts run, installed by TestMain
// with go install, as a user installs it.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "runkit-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	args := []string{"install"}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go install ./cmd/runkit:", err)
		return 1
	}
	binDir = dir
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

// requireTool fails the test under CI when a tool the scripts need is
// missing; elsewhere the scripts that need it skip those steps.
func requireTool(t *testing.T, name string) {
	if _, err := exec.LookPath(name); err != nil && os.Getenv("CI") != "" {
		t.Fatalf("CI is set and %s is not on PATH: .ci/run installs it", name)
	}
}

func TestScripts(t *testing.T) {
	requireTool(t, "promtool")
	requireTool(t, "git")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("PATH", binDir+string(os.PathListSeparator)+e.Getenv("PATH"))
			e.Setenv("RUNKIT", filepath.Join(binDir, "runkit"))
			e.Values[requestLogName] = &vendorLog{}
			if raceEnabled && e.Getenv("GORACE") == "" {
				// A race-enabled binary sleeps 1s at exit by default.
				e.Setenv("GORACE", "atexit_sleep_ms=10")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"capture":   cmdCapture,
			"json":      cmdJSON,
			"sloserve":  cmdSLOServe,
			"httpserve": cmdHTTPServe,
			"journal":   cmdJournal,
			"vendors":   cmdVendors,
			"requests":  cmdRequests,
		},
	})
}

// exits CODE program [args...] runs a program as exec does and checks its
// exit code.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// capture VAR program [args...] runs a program as exec does and sets VAR
// to its standard output, trimmed.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: capture VAR program [args...]")
	}
	ts.Check(ts.Exec(args[1], args[2:]...))
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
}

// json PATH WANT parses standard output as JSON (a stream of values, as
// JSON lines, is an array of them) and checks the value at PATH, a
// sequence of .key and [index] steps, against WANT, read as JSON when it
// parses and as a string otherwise. "json PATH" alone checks that the
// value exists; with !, that it does not equal WANT.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: json PATH [WANT]")
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile("stdout")))
	dec.UseNumber()
	var values []any
	for {
		var v any
		err := dec.Decode(&v)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			ts.Fatalf("stdout is not JSON: %v", err)
		}
		values = append(values, v)
	}
	var root any = values
	if len(values) == 1 {
		root = values[0]
	}
	got, err := jsonPath(root, args[0])
	if err != nil {
		if neg && len(args) == 1 {
			return
		}
		ts.Fatalf("%v", err)
	}
	if len(args) == 1 {
		if neg {
			ts.Fatalf("%s exists: %v", args[0], got)
		}
		return
	}
	var want any
	wd := json.NewDecoder(strings.NewReader(args[1]))
	wd.UseNumber()
	if wd.Decode(&want) != nil || wd.More() {
		want = args[1]
	}
	equal := jsonEqual(got, want)
	if equal == neg {
		ts.Fatalf("%s = %v, want %s%v", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

var pathStep = regexp.MustCompile(`^(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\])`)

func jsonPath(v any, path string) (any, error) {
	rest := path
	for rest != "" {
		m := pathStep.FindStringSubmatch(rest)
		if m == nil {
			return nil, fmt.Errorf("bad path %q at %q", path, rest)
		}
		rest = rest[len(m[0]):]
		if m[1] != "" {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: not an object before .%s", path, m[1])
			}
			if v, ok = obj[m[1]]; !ok {
				return nil, fmt.Errorf("%s: no key %q", path, m[1])
			}
			continue
		}
		arr, ok := v.([]any)
		i, _ := strconv.Atoi(m[2])
		if !ok || i >= len(arr) {
			return nil, fmt.Errorf("%s: no element %d", path, i)
		}
		v = arr[i]
	}
	return v, nil
}

// jsonEqual compares decoded JSON, numbers by value.
func jsonEqual(a, b any) bool {
	if x, ok := a.(json.Number); ok {
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, err1 := x.Float64()
		fy, err2 := y.Float64()
		return err1 == nil && err2 == nil && fx == fy
	}
	return reflect.DeepEqual(a, b)
}

// jsonCompact writes v as compact JSON with sorted keys, for a request
// log line.
func jsonCompact(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}
