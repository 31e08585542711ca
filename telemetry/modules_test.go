package telemetry_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestOneReleaseTrain checks that every OpenTelemetry module in the build
// (the contrib instrumentation, bridges and propagators, and the exporters)
// was released for the otel version the build selects. Modules from two
// trains compile, but each was tested against another API and SDK.
func TestOneReleaseTrain(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the go command is needed to read the module graph: %v", err)
		}
		t.Skip("no go command on PATH")
	}
	run := func(args ...string) string {
		cmd := exec.Command(goCmd, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}
	// The modules whose packages the module's code and tests compile, at
	// the version the build selects.
	selected := map[string]string{}
	for _, line := range strings.Split(run("list", "-deps", "-test", "-f", "{{with .Module}}{{.Path}} {{.Version}}{{end}}", "github.com/ybiyri/runkit/..."), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			selected[f[0]] = f[1]
		}
	}
	const otel = "go.opentelemetry.io/otel"
	want := selected[otel]
	if want == "" {
		t.Fatalf("no package of %s in the build", otel)
	}
	// What each module version asks for.
	builtFor := map[string]string{} // module@version -> otel version it requires
	for _, line := range strings.Split(run("mod", "graph"), "\n") {
		from, to, ok := strings.Cut(line, " ")
		if ok && strings.HasPrefix(to, otel+"@") {
			builtFor[from] = strings.TrimPrefix(to, otel+"@")
		}
	}
	checked := 0
	for path, version := range selected {
		if !strings.HasPrefix(path, "go.opentelemetry.io/contrib/") && !strings.HasPrefix(path, otel+"/exporters/") {
			continue
		}
		checked++
		got, ok := builtFor[path+"@"+version]
		if !ok {
			t.Errorf("%s@%s does not require %s", path, version, otel)
			continue
		}
		if got != want {
			t.Errorf("%s@%s was released for %s %s; the build uses %s: take the release of the %s train", path, version, otel, got, want, want)
		}
	}
	if checked == 0 {
		t.Fatal("no OpenTelemetry contrib module or exporter in the build")
	}
}
