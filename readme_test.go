package runkit_test

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The README's Go blocks are fragments of a service, a test or a pipeline
// step. Each is type-checked against runkit and the standard library as
// they are now, so that the README cannot drift from the API:
//
//   - a block of declarations (one with a top-level func, type, var, const
//     or import) is a file of its own;
//   - any other block is the body of a func returning error, so that it
//     may "return err"; a name it declares and leaves unused is fine;
//   - a block starting with "package" is a whole file.
//
// Each block sees the imports it names from readmeImports and the names of
// readmeWorld, the things a snippet takes as given (the service's ctx and
// mux, say) unless it declares them itself.
var readmeImports = map[string]string{
	"breaker":      "github.com/ybiyri/runkit/breaker",
	"redisbreaker": "github.com/ybiyri/runkit/breaker/redisbreaker",
	"redis":        "github.com/redis/go-redis/v9",
	"deploy":       "github.com/ybiyri/runkit/deploy",
	"health":       "github.com/ybiyri/runkit/health",
	"incident":     "github.com/ybiyri/runkit/incident",
	"checks":       "github.com/ybiyri/runkit/health/checks",
	"slo":          "github.com/ybiyri/runkit/slo",
	"slotest":      "github.com/ybiyri/runkit/slo/slotest",
	"openslo":      "github.com/ybiyri/runkit/slo/openslo",
	"promrules":    "github.com/ybiyri/runkit/slo/promrules",
	"telemetry":    "github.com/ybiyri/runkit/telemetry",
	"context":      "context",
	"errors":       "errors",
	"fmt":          "fmt",
	"http":         "net/http",
	"io":           "io",
	"json":         "encoding/json",
	"log":          "log",
	"os":           "os",
	"slog":         "log/slog",
	"sql":          "database/sql",
	"strings":      "strings",
	"testing":      "testing",
	"time":         "time",
}

var readmeWorld = []struct{ name, typ string }{
	{"ctx", "context.Context"},
	{"mux", "*http.ServeMux"},
	{"srv", "*http.Server"},
	{"db", "*sql.DB"},
	{"checker", "*health.Checker"},
	{"checkout", "slo.Objective"},
	{"checkoutHandler", "http.Handler"},
	{"grafanaSink", "deploy.Sink"},
	{"tracker", "*slo.Tracker"},
	{"announcer", "*deploy.Announcer"},
	{"marker", "deploy.Marker"},
	{"isOperator", "func(*http.Request) bool"},
}

func TestREADMEGoBlocksCompile(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(md)
	// One block or more per package section: a README whose fences the
	// test stopped finding must not pass.
	if len(blocks) < 6 {
		t.Fatalf("found %d Go blocks in README.md, want 6 or more", len(blocks))
	}
	c := newBlockChecker(t)
	for _, b := range blocks {
		for _, err := range c.check("README.md", b) {
			t.Error(err)
		}
	}
}

// TestREADMEServesMetrics keeps the README's promise that each replica's
// /metrics carries runkit's metrics: a block that sets telemetry up with
// the Prometheus exporter also serves tel.MetricsHandler().
func TestREADMEServesMetrics(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	c := newBlockChecker(t)
	var exporterBlocks []int
	for _, b := range goBlocks(md) {
		c.check("README.md", b)
		if strings.Contains(b.code, `telemetry.WithMetricsExporter("prometheus")`) {
			exporterBlocks = append(exporterBlocks, b.line)
		}
	}
	handlerBlocks := c.used["(*github.com/ybiyri/runkit/telemetry.Telemetry).MetricsHandler"]
	if len(exporterBlocks) == 0 {
		t.Error(`no README block sets telemetry up with telemetry.WithMetricsExporter("prometheus")`)
	}
	for _, line := range exporterBlocks {
		if !slices.Contains(handlerBlocks, line) {
			t.Errorf("README.md:%d: the block with the Prometheus exporter does not serve tel.MetricsHandler()", line)
		}
	}
}

// TestREADMEInstallsTheCommandFromAClone keeps the README's install
// commands working: until a version is tagged, "go install
// .../cmd/runkit@latest" has nothing to install, so the block that gives
// it also gives the command from a clone, and that path is the command's
// main package.
func TestREADMEInstallsTheCommandFromAClone(t *testing.T) {
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var remote, local int
	for _, b := range fencedBlocks(md, "sh") {
		var blockRemote, blockLocal []string
		for line := range strings.Lines(b.code) {
			fields := strings.Fields(line)
			if len(fields) < 3 || fields[0] != "go" || fields[1] != "install" {
				continue
			}
			pkg := fields[2]
			switch {
			case strings.HasPrefix(pkg, "./"):
				blockLocal = append(blockLocal, pkg)
			case strings.Contains(pkg, "@"):
				blockRemote = append(blockRemote, pkg)
			}
		}
		if len(blockRemote) > 0 && len(blockLocal) == 0 {
			t.Errorf("README.md:%d: %s has no from-a-clone \"go install ./...\" beside it", b.line, strings.Join(blockRemote, ", "))
		}
		for _, pkg := range blockLocal {
			out, err := exec.Command("go", "list", "-f", "{{.Name}}", pkg).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "main" {
				t.Errorf("README.md:%d: go install %s: %s is not a command here (go list: %v %s)", b.line, pkg, pkg, err, out)
			}
		}
		remote += len(blockRemote)
		local += len(blockLocal)
	}
	if remote == 0 || local == 0 {
		t.Errorf("README.md gives %d go install module@version and %d from-a-clone commands, want both", remote, local)
	}
}

// testTools are the programs tests drive and the Debian packages .ci/run
// installs them from, and testToolHelpers the packages of test helpers
// that start one.
var (
	testTools = map[string]string{
		"promtool":                "prometheus",
		"prometheus":              "prometheus",
		"redis-server":            "redis-server",
		"chromium":                "chromium",
		"git":                     "git",
		"prometheus-alertmanager": "prometheus-alertmanager",
	}
	testToolHelpers = map[string]string{
		"github.com/ybiyri/runkit/internal/redistest":   "redis-server",
		"github.com/ybiyri/runkit/internal/browsertest": "chromium",
		"github.com/ybiyri/runkit/internal/promtest":    "prometheus",
	}
)

// TestREADMENamesTheToolsTheTestsNeed keeps the README honest about "go
// test -race ./..." on a machine without the tools: each tool a test
// drives has a row in the README naming every package whose tests need
// it, .ci/run installs its Debian package, and .ci/run sets CI, under
// which a missing tool fails its test rather than skips it.
func TestREADMENamesTheToolsTheTestsNeed(t *testing.T) {
	needs := testToolNeeds(t)
	for _, tool := range []string{"promtool", "redis-server", "chromium", "git"} {
		if len(needs[tool]) == 0 {
			t.Errorf("found no test that needs %s: the scan of the tests went wrong", tool)
		}
	}
	md, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range slices.Sorted(maps.Keys(needs)) {
		var row string
		for line := range strings.Lines(string(md)) {
			if strings.HasPrefix(line, "| `"+tool+"` ") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("README.md has no row \"| `%s` | ...\" saying which tests need %s: %s", tool, tool, strings.Join(needs[tool], ", "))
			continue
		}
		for _, pkg := range needs[tool] {
			if !strings.Contains(row, "`"+pkg+"`") {
				t.Errorf("README.md's row for %s does not name `%s`, whose tests need it: %q", tool, pkg, row)
			}
		}
		if deb := testTools[tool]; !strings.Contains(string(ci), "apt-get install") || !regexp.MustCompile(`apt-get install [^\n]*\b`+regexp.QuoteMeta(deb)+`\b`).Match(ci) {
			t.Errorf(".ci/run does not apt-get install %s, the Debian package of %s", deb, tool)
		}
	}
	exportCI := regexp.MustCompile(`(?m)^export CI=true$`).FindIndex(ci)
	goTest := regexp.MustCompile(`(?m)^go test `).FindIndex(ci)
	if exportCI == nil || goTest == nil || exportCI[0] > goTest[0] {
		t.Errorf(".ci/run does not \"export CI=true\" on a line of its own before \"go test\": a missing tool would skip its tests there")
	}
}

// testToolNeeds returns, for each tool of testTools, the directories
// (relative to the module root) whose tests start it: by exec.LookPath,
// exec.Command or a helper named tool, Tool or requireTool with the
// tool's name, internal/promtest's StartPrometheus and StartAlertmanager,
// or through a package of testToolHelpers.
func testToolNeeds(t *testing.T) map[string][]string {
	t.Helper()
	needs := map[string]map[string]bool{}
	need := func(tool, dir string) {
		if needs[tool] == nil {
			needs[tool] = map[string]bool{}
		}
		needs[tool][dir] = true
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, imp := range f.Imports {
			if tool, ok := testToolHelpers[strings.Trim(imp.Path.Value, `"`)]; ok {
				need(tool, dir)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			switch name {
			case "LookPath", "Command", "CommandContext", "tool", "requireTool", "Tool":
			case "StartPrometheus": // internal/promtest's servers
				need("prometheus", dir)
				return true
			case "StartAlertmanager":
				need("prometheus-alertmanager", dir)
				return true
			default:
				return true
			}
			for _, a := range call.Args {
				if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil && testTools[v] != "" {
						need(v, dir)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for tool, dirs := range needs {
		out[tool] = slices.Sorted(maps.Keys(dirs))
	}
	return out
}

// TestREADMECheckerCatchesBrokenBlocks keeps the test above honest: each
// block here is wrong the way README blocks went wrong, and must fail.
func TestREADMECheckerCatchesBrokenBlocks(t *testing.T) {
	const sample = "# sample\n\n" +
		// 3: a package-level :=
		"```go\n" +
		"objective := slo.Objective{Name: \"checkout\", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}\n" +
		"\n" +
		"func TestBudget(t *testing.T) {\n" +
		"\t_ = objective\n" +
		"}\n" +
		"```\n\n" +
		// 11: a name the API does not have
		"```go\n" +
		"announcer := &deploy.Announcr{}\n" +
		"```\n\n" +
		// 15: a value of the wrong type
		"```go\n" +
		"health.Serve(ctx, mux, checker, health.ServeConfig{})\n" +
		"```\n\n" +
		// 19: a timeout context under the name of the one it derives from
		"```go\n" +
		"announcer := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(os.Stdout)}}\n" +
		"ctx, cancel := context.WithTimeout(ctx, 2*time.Second)\n" +
		"announcer.Announce(ctx, deploy.Marker{Service: \"checkout\", Version: \"1.4.2\"})\n" +
		"cancel()\n" +
		"```\n\n" +
		// 26: bad syntax, an unclosed brace found only past the block
		"```go\n" +
		"if err := checker.Register(health.Check{}); err != nil {\n" +
		"```\n\n" +
		// 30: a name the world does not give
		"```go\n" +
		"mux.Handle(\"/cart\", cartHandler)\n" +
		"```\n\n" +
		// 34: a bare return where the block stands for a func returning error
		"```go\n" +
		"return\n" +
		"```\n\n" +
		// 38: fine, as the fixed README has them
		"```go\n" +
		"var objective = slo.Objective{Name: \"checkout\", Target: 0.999, Window: slo.Rolling(30 * 24 * time.Hour)}\n" +
		"```\n\n" +
		"```go\n" +
		"announcer := &deploy.Announcer{Sinks: []deploy.Sink{deploy.Writer(os.Stdout), grafanaSink}}\n" +
		"announceCtx, cancel := context.WithTimeout(ctx, 2*time.Second)\n" +
		"if _, err := announcer.Announce(announceCtx, deploy.Marker{Service: \"checkout\", Version: \"1.4.2\"}); err != nil { return err }\n" +
		"cancel()\n" +
		"unused := 1\n" +
		"```\n\n" +
		// 55: a shutdown without a deadline
		"```go\n" +
		"tel, err := telemetry.Setup(ctx)\n" +
		"if err != nil {\n" +
		"\treturn err\n" +
		"}\n" +
		"defer tel.Shutdown(context.Background())\n" +
		"```\n\n" +
		// 59: an error discarded, which turns a bad objective into a
		// panic at every request
		"```go\n" +
		"tracker, _ := slo.NewTracker(checkout, slo.TrackerConfig{})\n" +
		"mux.Handle(\"/slo\", tracker.Handler())\n" +
		"```\n\n" +
		// 64: an error dropped by a call statement: a checker whose only
		// registration failed answers every probe 200 with no checks
		"```go\n" +
		"checker.Register(health.Check{Name: \"db\", Func: db.PingContext})\n" +
		"```\n\n" +
		// 72: a written file closed by defer, its error dropped
		"```go\n" +
		"f, err := os.Create(\"checkout.rules.yml\")\n" +
		"if err != nil {\n" +
		"\treturn err\n" +
		"}\n" +
		"defer f.Close()\n" +
		"_, err = f.WriteString(\"groups: []\\n\")\n" +
		"return err\n" +
		"```\n\n" +
		// 80: a service that does not start when its build has no VCS data
		"```go\n" +
		"marker, err := deploy.FromBuild(\"checkout\", \"production\")\n" +
		"if err != nil {\n" +
		"\treturn err\n" +
		"}\n" +
		"_ = marker\n" +
		"```\n"
	want := map[int]string{
		4:  "expected declaration, found objective",
		12: "undefined: deploy.Announcr",
		16: "cannot use mux",
		21: "ctx, cancel := context.WithTimeout(ctx, …) puts a context that ends within the block under the name ctx",
		22: "the error of announcer.Announce(…) is dropped",
		27: "expected '}', found 'EOF'",
		31: "undefined: cartHandler",
		35: "not enough return values",
		55: "Shutdown(context.Background()) has no deadline",
		59: "the error is assigned to _",
		64: "the error of checker.Register(…) is dropped",
		72: "defer f.Close(…) drops the error of closing a writer",
		80: "the service returns deploy.FromBuild's error",
	}
	blocks := goBlocks([]byte(sample))
	if len(blocks) != 14 {
		t.Fatalf("found %d blocks in the sample, want 14", len(blocks))
	}
	c := newBlockChecker(t)
	got := map[int]string{}
	for _, b := range blocks {
		for _, err := range c.check("sample.md", b) {
			var line int
			if _, scanErr := fmt.Sscanf(err.Error(), "sample.md:%d:", &line); scanErr != nil {
				t.Errorf("error %q does not start with sample.md:LINE:", err)
			}
			got[line] += err.Error() + "\n"
		}
	}
	for line, w := range want {
		if !strings.Contains(got[line], w) {
			t.Errorf("sample.md:%d: got errors %q, want one holding %q", line, got[line], w)
		}
	}
	for _, line := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[line]; !ok {
			t.Errorf("sample.md:%d: unexpected error %q", line, got[line])
		}
	}
}

// goBlock is the code of one ```go block and the line it starts on.
type goBlock struct {
	line int
	code string
}

// goBlocks returns the ```go blocks of a Markdown document.
func goBlocks(md []byte) []goBlock { return fencedBlocks(md, "go") }

// fencedBlocks returns the blocks of a Markdown document fenced as lang.
func fencedBlocks(md []byte, lang string) []goBlock {
	var blocks []goBlock
	var cur *goBlock
	sc := bufio.NewScanner(bytes.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```"+lang:
			cur = &goBlock{line: n + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	if cur != nil { // an unclosed fence runs to the end, as Markdown has it
		blocks = append(blocks, *cur)
	}
	return blocks
}

// blockChecker type-checks blocks against the export data of the packages
// they may import, which one "go list -export" builds or finds in the
// build cache: much faster than type-checking every dependency from
// source.
type blockChecker struct {
	fset *token.FileSet
	imp  types.Importer
	// used holds the functions and methods the checked blocks call, by
	// their full name ("(*example.com/p.T).M"), with the lines of the
	// blocks that call them.
	used map[string][]int
}

var (
	exportsOnce sync.Once
	exports     map[string]string
	exportsErr  error
)

func newBlockChecker(t *testing.T) *blockChecker {
	t.Helper()
	exportsOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			exportsErr = fmt.Errorf("the go command is needed to type-check the README: %v", err)
			return
		}
		args := append([]string{"list", "-export", "-deps", "-json=ImportPath,Export"}, slices.Sorted(maps.Values(readmeImports))...)
		var stderr bytes.Buffer
		cmd := exec.Command(goTool, args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			exportsErr = fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
			return
		}
		exports = map[string]string{}
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var p struct{ ImportPath, Export string }
			if err := dec.Decode(&p); err != nil {
				exportsErr = fmt.Errorf("go list output: %v", err)
				return
			}
			exports[p.ImportPath] = p.Export
		}
	})
	if exportsErr != nil {
		t.Fatal(exportsErr)
	}
	fset := token.NewFileSet()
	lookup := func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(f)
	}
	return &blockChecker{fset: fset, imp: importer.ForCompiler(fset, "gc", lookup), used: map[string][]int{}}
}

// check returns the errors of block b of the file named file, at the
// file's lines.
func (c *blockChecker) check(file string, b goBlock) []error {
	end := b.line + strings.Count(b.code, "\n") - 1
	var errs []error
	report := func(pos token.Position, msg string) {
		// An error the parser finds only past the block's end (an
		// unclosed brace) belongs to its last line.
		if pos.Filename == file && pos.Line > end {
			pos = token.Position{Filename: file, Line: end, Column: 1}
		}
		errs = append(errs, fmt.Errorf("%v: %s", pos, msg))
	}
	addErr := func(err error) {
		switch e := err.(type) {
		case scanner.ErrorList:
			for _, e := range e {
				report(e.Pos, e.Msg)
			}
		case types.Error:
			report(e.Fset.Position(e.Pos), e.Msg)
		default:
			errs = append(errs, err)
		}
	}

	f, decls, err := c.parse(file, b)
	if err != nil {
		addErr(err)
		return errs
	}
	files := []*ast.File{f}
	if f.Name.Name == "readme" {
		world, err := c.world(f)
		if err != nil {
			return []error{err}
		}
		files = append(files, world)
	}
	if !decls {
		useDeclared(f)
	}
	conf := types.Config{Importer: c.imp, Error: addErr}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}}
	conf.Check(f.Name.Name, c.fset, files, info)
	for id, obj := range info.Uses {
		if fn, ok := obj.(*types.Func); ok && c.fset.Position(id.Pos()).Filename == file {
			c.used[fn.FullName()] = append(c.used[fn.FullName()], b.line)
		}
	}
	guns := append(contextFootGuns(f, info), shutdownFootGuns(f, info)...)
	guns = append(guns, discardedErrors(f, info)...)
	guns = append(guns, fromBuildFootGuns(f, info)...)
	for _, g := range append(guns, droppedErrors(f, info)...) {
		report(c.fset.Position(g.pos), g.msg)
	}
	return errs
}

// parse parses b as a whole file, as declarations or as statements, and
// reports whether it took it for declarations. A block that parses no way
// gets the errors of the way it looks meant: declarations when a line at
// column 0 starts a func, type or import, statements otherwise.
func (c *blockChecker) parse(file string, b goBlock) (*ast.File, bool, error) {
	// The line directive puts the block's first character at its line.
	at := fmt.Sprintf("/*line %s:%d:1*/", file, b.line)
	if strings.HasPrefix(strings.TrimSpace(b.code), "package ") {
		f, err := parser.ParseFile(c.fset, file, at+b.code, 0)
		return f, true, err
	}
	asDecls := func(imports string) string { return "package readme\n" + imports + at + b.code }
	asStmts := func(imports string) string {
		return "package readme\n" + imports + "func _() error {\n" + at + b.code + "\nreturn nil\n}\n"
	}
	// Parse once to learn the names the block leaves unresolved, then
	// again with the imports among them.
	parse := func(wrap func(string) string) (*ast.File, error) {
		f, err := parser.ParseFile(c.fset, file, wrap(""), 0)
		if err != nil {
			return nil, err
		}
		return parser.ParseFile(c.fset, file, wrap(importsFor(f.Unresolved)), 0)
	}
	f, declErr := parse(asDecls)
	if declErr == nil {
		return f, true, nil
	}
	f, stmtErr := parse(asStmts)
	if stmtErr == nil {
		return f, false, nil
	}
	if declarations(b.code) {
		return nil, true, declErr
	}
	return nil, false, stmtErr
}

// declarations reports whether code looks meant as top-level
// declarations: whether a line at column 0 starts a func, type or import.
func declarations(code string) bool {
	for line := range strings.Lines(code) {
		for _, kw := range []string{"func ", "type ", "import "} {
			if strings.HasPrefix(line, kw) {
				return true
			}
		}
	}
	return false
}

// importsFor returns an import declaration for the names of readmeImports
// among unresolved.
func importsFor(unresolved []*ast.Ident) string {
	paths := map[string]bool{}
	for _, id := range unresolved {
		if p, ok := readmeImports[id.Name]; ok {
			paths[p] = true
		}
	}
	if len(paths) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("import (\n")
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		fmt.Fprintf(&b, "\t%q\n", p)
	}
	b.WriteString(")\n")
	return b.String()
}

// world returns a file declaring the names of readmeWorld that block does
// not declare at its top level.
func (c *blockChecker) world(block *ast.File) (*ast.File, error) {
	own := map[string]bool{}
	for _, d := range block.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			own[d.Name.Name] = true
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						own[n.Name] = true
					}
				case *ast.TypeSpec:
					own[s.Name.Name] = true
				}
			}
		}
	}
	var vars strings.Builder
	for _, w := range readmeWorld {
		if !own[w.name] {
			fmt.Fprintf(&vars, "var %s %s\n", w.name, w.typ)
		}
	}
	f, err := parser.ParseFile(c.fset, "world.go", "package readme\n"+vars.String(), 0)
	if err != nil {
		return nil, err
	}
	return parser.ParseFile(c.fset, "world.go", "package readme\n"+importsFor(f.Unresolved)+vars.String(), 0)
}

// useDeclared adds "_ = name" for each name the block's statements
// declare at their top level, so that a snippet may show a value it does
// not go on to use (a client it builds, say).
func useDeclared(f *ast.File) {
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "_" {
			continue
		}
		var names []string
		for _, st := range fn.Body.List {
			switch st := st.(type) {
			case *ast.AssignStmt:
				if st.Tok == token.DEFINE {
					for _, e := range st.Lhs {
						if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
							names = append(names, id.Name)
						}
					}
				}
			case *ast.DeclStmt:
				if g, ok := st.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
					for _, s := range g.Specs {
						for _, id := range s.(*ast.ValueSpec).Names {
							if id.Name != "_" {
								names = append(names, id.Name)
							}
						}
					}
				}
			}
		}
		last := len(fn.Body.List) - 1 // the wrapper's return
		uses := make([]ast.Stmt, 0, len(names)+1)
		for _, n := range names {
			uses = append(uses, &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent("_")}, Tok: token.ASSIGN, Rhs: []ast.Expr{ast.NewIdent(n)}})
		}
		fn.Body.List = append(fn.Body.List[:last:last], append(uses, fn.Body.List[last])...)
	}
}

// discardedErrors finds an error result assigned to _. A reader copies
// the README: "tracker, _ := slo.NewTracker(...)" there becomes a service
// that fails every request when the objective is wrong.
func discardedErrors(f *ast.File, info *types.Info) []footGun {
	errType := types.Universe.Lookup("error").Type()
	var guns []footGun
	ast.Inspect(f, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 {
			return true
		}
		tuple, ok := info.Types[as.Rhs[0]].Type.(*types.Tuple)
		if !ok || tuple.Len() != len(as.Lhs) {
			return true
		}
		for i, l := range as.Lhs {
			if id, ok := l.(*ast.Ident); ok && id.Name == "_" && types.Identical(tuple.At(i).Type(), errType) {
				guns = append(guns, footGun{pos: id.Pos(), msg: "the error is assigned to _; a README snippet checks it"})
			}
		}
		return true
	})
	return guns
}

// contextFootGuns finds "ctx, cancel := context.WithTimeout(ctx, …)": a
// derived context that ends within the block, put under the name of the
// context it derives from. A reader continues the snippet with the rest
// of the function, and whatever uses ctx after it (health.Serve, say)
// gets a context already done. A context ends within the block when it
// has a timeout or deadline, or its cancel func is called (not deferred)
// in the block.
func contextFootGuns(f *ast.File, info *types.Info) []footGun {
	var guns []footGun
	ast.Inspect(f, func(n ast.Node) bool {
		blk, ok := n.(*ast.BlockStmt)
		if !ok {
			return true
		}
		for i, st := range blk.List {
			as, ok := st.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != 2 || len(as.Rhs) != 1 {
				continue
			}
			call, ok := as.Rhs[0].(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				continue
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				continue
			}
			fn := info.Uses[sel.Sel]
			if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "context" || !strings.HasPrefix(fn.Name(), "With") {
				continue
			}
			derived, ok1 := as.Lhs[0].(*ast.Ident)
			parent, ok2 := call.Args[0].(*ast.Ident)
			cancel, ok3 := as.Lhs[1].(*ast.Ident)
			if !ok1 || !ok2 || !ok3 || derived.Name != parent.Name {
				continue
			}
			ends := strings.Contains(fn.Name(), "Timeout") || strings.Contains(fn.Name(), "Deadline")
			for _, later := range blk.List[i+1:] {
				if es, ok := later.(*ast.ExprStmt); ok {
					if c, ok := es.X.(*ast.CallExpr); ok {
						if id, ok := c.Fun.(*ast.Ident); ok && id.Name == cancel.Name {
							ends = true
						}
					}
				}
			}
			if ends {
				guns = append(guns, footGun{as.Pos(), fmt.Sprintf("%s, %s := context.%s(%s, …) puts a context that ends within the block under the name %s: "+
					"code after the block that uses %s gets a context already done; give the derived context a name of its own",
					derived.Name, cancel.Name, fn.Name(), parent.Name, derived.Name, derived.Name)})
			}
		}
		return true
	})
	return guns
}

// shutdownFootGuns finds "x.Shutdown(context.Background())" (or TODO): a
// shutdown with no deadline waits as long as what it flushes to hangs, so
// a service stopped by Kubernetes outlives its grace period and is killed
// with the data still in memory. A snippet gives Shutdown a deadline.
func shutdownFootGuns(f *ast.File, info *types.Info) []footGun {
	var guns []footGun
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Shutdown" {
			return true
		}
		arg, ok := call.Args[0].(*ast.CallExpr)
		if !ok {
			return true
		}
		asel, ok := arg.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		fn := info.Uses[asel.Sel]
		if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "context" || (fn.Name() != "Background" && fn.Name() != "TODO") {
			return true
		}
		guns = append(guns, footGun{call.Pos(), fmt.Sprintf("Shutdown(context.%s()) has no deadline: it waits as long as a hung collector or client does, "+
			"past the platform's grace period; give it a context with a timeout", fn.Name())})
		return true
	})
	return guns
}

// fromBuildFootGuns finds a service that refuses to start when
// deploy.FromBuild fails: "if err != nil { return err }" after it. Every
// build without VCS data (go run, an image built from a copied tree,
// -buildvcs=false) fails FromBuild, and a deployment marker is not worth
// a service that does not start: a snippet warns and serves unmarked.
func fromBuildFootGuns(f *ast.File, info *types.Info) []footGun {
	var guns []footGun
	// The error variables FromBuild's results are assigned to.
	errs := map[types.Object]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 || len(as.Lhs) != 2 {
			return true
		}
		call, ok := as.Rhs[0].(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		fn := info.Uses[sel.Sel]
		if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "github.com/ybiyri/runkit/deploy" || fn.Name() != "FromBuild" {
			return true
		}
		if id, ok := as.Lhs[1].(*ast.Ident); ok {
			if obj := cmp.Or(info.Defs[id], info.Uses[id]); obj != nil {
				errs[obj] = true
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		ifs, ok := n.(*ast.IfStmt)
		if !ok {
			return true
		}
		cond, ok := ifs.Cond.(*ast.BinaryExpr)
		if !ok || cond.Op != token.NEQ {
			return true
		}
		id, ok := cond.X.(*ast.Ident)
		if !ok || !errs[info.Uses[id]] {
			return true
		}
		for _, st := range ifs.Body.List {
			if _, ok := st.(*ast.ReturnStmt); ok {
				guns = append(guns, footGun{st.Pos(), "the service returns deploy.FromBuild's error, so a build without VCS data " +
					"(go run, an image built without .git, -buildvcs=false) refuses to start: log it and serve unmarked"})
			}
		}
		return true
	})
	return guns
}

// droppedErrors finds a call whose error nobody reads: a call statement
// ("checker.Register(...)", whose error, dropped, leaves a checker with no
// checks that answers every probe 200) and a deferred Close of something
// written to ("defer f.Close()" on a file: a full disk shows only there).
// A README snippet is copied into services as it is, so each of its
// errors is checked, returned or joined.
func droppedErrors(f *ast.File, info *types.Info) []footGun {
	var guns []footGun
	ast.Inspect(f, func(n ast.Node) bool {
		switch st := n.(type) {
		case *ast.ExprStmt:
			if call, ok := st.X.(*ast.CallExpr); ok && returnsError(info, call) {
				guns = append(guns, footGun{call.Pos(), fmt.Sprintf("the error of %s is dropped: a README snippet checks every error", callName(call))})
			}
		case *ast.GoStmt:
			if returnsError(info, st.Call) {
				guns = append(guns, footGun{st.Call.Pos(), fmt.Sprintf("the error of go %s is dropped: a README snippet checks every error", callName(st.Call))})
			}
		case *ast.DeferStmt:
			sel, ok := st.Call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Close" || !returnsError(info, st.Call) {
				return true
			}
			if t := info.Types[sel.X].Type; t != nil && hasWrite(t) {
				guns = append(guns, footGun{st.Call.Pos(), fmt.Sprintf("defer %s drops the error of closing a writer, where a failed write shows: "+
					"close it and check the error", callName(st.Call))})
			}
		}
		return true
	})
	return guns
}

// returnsError reports whether call's last result is an error.
func returnsError(info *types.Info, call *ast.CallExpr) bool {
	errType := types.Universe.Lookup("error").Type()
	switch t := info.Types[call].Type.(type) {
	case *types.Tuple:
		return t.Len() > 0 && types.Identical(t.At(t.Len()-1).Type(), errType)
	case nil:
		return false
	default:
		return types.Identical(t, errType)
	}
}

// hasWrite reports whether t, or a pointer to it, has a Write method.
func hasWrite(t types.Type) bool {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "Write")
	_, ok := obj.(*types.Func)
	return ok
}

// callName is the called expression as written, for messages.
func callName(call *ast.CallExpr) string {
	var b strings.Builder
	printer.Fprint(&b, token.NewFileSet(), call.Fun)
	return b.String() + "(…)"
}

type footGun struct {
	pos token.Pos
	msg string
}
