package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // a calendar window's zone, read from a service's /slo, is known here too

	"github.com/spf13/cobra"

	"github.com/ybiyri/runkit/deploy"
)

// The exit codes, for a pipeline to tell a refusal from its own mistake.
const (
	exitOK = 0
	// exitUsage is a bad flag, argument, file or environment variable.
	exitUsage = 1
	// exitPolicy is a policy saying no: the gate froze deploys, a page
	// tier fires.
	exitPolicy = 2
	// exitExternal is a system runkit talked to failing: a service's /slo,
	// a vendor's API, git, promtool.
	exitExternal = 3
)

// exitError carries the exit code of a failed command. An error that is
// not one is a usage error: cobra's own errors for unknown flags, commands
// and argument counts are.
type exitError struct {
	code int
	err  error
	// hint points to --help after the message: the command line itself
	// was wrong, not a file or a flag's value.
	hint bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a bad flag, argument, file or variable: exit 1.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// argErrorf reports a command line that does not fit the command: exit 1,
// pointing to --help.
func argErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), hint: true}
}

// policyErrorf reports that a policy said no: exit 2.
func policyErrorf(format string, args ...any) error {
	return &exitError{code: exitPolicy, err: fmt.Errorf(format, args...)}
}

// externalErrorf reports that an external system failed: exit 3.
func externalErrorf(format string, args ...any) error {
	return &exitError{code: exitExternal, err: fmt.Errorf(format, args...)}
}

// exitCode returns the exit code for err.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitUsage
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code. Errors go to
// stderr, prefixed with "runkit: ".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	fmt.Fprintf(stderr, "runkit: %v\n", err)
	var e *exitError
	if hint := !errors.As(err, &e) || e.hint; hint && code == exitUsage && cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

const rootLong = `runkit turns runkit's library packages into commands for the deploy
pipeline and the on-call laptop: error-budget tables, SLO files to
Prometheus rules, live SLO status, deployment markers, the error-budget
deploy gate and the DORA measures.

Exit codes:
  0  ok
  1  usage or configuration error: a bad flag, argument, file or
     environment variable (the message names it)
  2  a policy said no: the deploy gate froze deploys, a page tier fires
  3  an external system failed: a service's /slo, a vendor's API, git,
     promtool

When several apply, the highest wins. Errors go to standard error; data
goes to standard output, as a table or, with --output json, as JSON.`

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "runkit",
		Short:         "Error budgets, SLO rules, deployment markers, the deploy gate and DORA",
		Long:          rootLong,
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Example: `  runkit slo budget 99.95 30d
  runkit slo status https://checkout.internal/slo
  runkit deploy mark --service checkout --version 1.4.2 >> deployments.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetVersionTemplate("runkit {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err, hint: true}
	})
	root.AddCommand(newSLO(), newDeploy(), newDORA(), newIncidents(), newTimeline(), newPostmortem())
	return root
}

// version is the module version and revision the binary was built from.
func version() string {
	b := deploy.Build()
	v := b.Version
	if v == "" {
		v = "(devel)"
	}
	if b.RevisionKnown {
		v += " " + b.Revision
		if b.Modified {
			v += " (modified)"
		}
	}
	return v
}

// noArgs rejects arguments on a command that has subcommands or takes
// none, naming the first one.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return argErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return argErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
}

// group returns a command that only holds subcommands.
func group(use, short, long, example string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    long,
		Example: example,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	c.AddCommand(subs...)
	return c
}
