package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commandLines returns the runkit command lines in shell text: comments
// dropped, continuations joined, and each pipeline or list cut at |, ||,
// &&, ; and redirections.
func commandLines(text string) [][]string {
	text = strings.ReplaceAll(text, "\\\n", " ")
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		words := shellWords(line)
		var cur []string
		flush := func() {
			if len(cur) > 0 && cur[0] == "runkit" {
				out = append(out, cur[1:])
			}
			cur = nil
		}
		for i := 0; i < len(words); i++ {
			switch w := words[i]; {
			case w == "#":
				i = len(words)
			case w == "|" || w == "||" || w == "&&" || w == ";":
				flush()
			case w == ">" || w == ">>" || w == "<":
				i++ // the file
			default:
				cur = append(cur, w)
			}
		}
		flush()
	}
	return out
}

// shellWords splits a line into words, keeping quoted text (variables
// unexpanded) and making the operators separate words.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '#' && !in:
			words = append(words, "#")
			i = len(line)
		case strings.IndexByte("|&;<>", c) >= 0:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
			op := string(c)
			if i+1 < len(line) && (line[i+1] == c) {
				op += string(c)
				i++
			}
			if strings.HasPrefix(line[i+1:], "/dev/null") {
				words = append(words, op, "/dev/null")
				i += len("/dev/null")
				continue
			}
			words = append(words, op)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// checkLine runs a documented command line with --help added: the command
// path and every flag must exist, or cobra fails before printing help.
func checkLine(t *testing.T, where string, args []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	full := append(append([]string(nil), args...), "--help")
	if code := run(context.Background(), full, &stdout, &stderr); code != 0 {
		t.Errorf("%s: runkit %s: exit %d: %s", where, strings.Join(args, " "), code, stderr.String())
	}
}

// TestExamplesParse keeps every command's Examples true to its flags.
func TestExamplesParse(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, args := range commandLines(c.Example) {
			checkLine(t, c.CommandPath()+" example", args)
			n++
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Runnable() && c.Example == "" && c.HasParent() && c.Parent().Name() != "completion" && c.Name() != "help" && c.Name() != "completion" {
			t.Errorf("%s has no examples", c.CommandPath())
		}
	}
	walk(newRoot())
	if n == 0 {
		t.Fatal("no examples found")
	}
}

var shellBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// TestREADMECommands keeps the README's runkit command lines true to the
// command.
func TestREADMECommands(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range shellBlock.FindAllSubmatch(b, -1) {
		for _, args := range commandLines(string(m[1])) {
			checkLine(t, "README.md", args)
			n++
		}
	}
	if n < 3 {
		t.Fatalf("found %d runkit command lines in README.md", n)
	}
}

func TestCommandLines(t *testing.T) {
	got := commandLines("runkit slo status \"$SLO_URL\" >/dev/null || echo \"exit $?\"\n" +
		"export X=1 # runkit nothing\n" +
		"runkit deploy mark --service checkout \\\n    --sink grafana >> deployments.jsonl\n" +
		"runkit slo budget 99.9 -o json | jq .budget")
	want := [][]string{
		{"slo", "status", "$SLO_URL"},
		{"deploy", "mark", "--service", "checkout", "--sink", "grafana"},
		{"slo", "budget", "99.9", "-o", "json"},
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"slo", "budget", "--bogus", "--help"}, &stdout, &stderr); code != 1 {
		t.Errorf("an unknown flag with --help: exit %d, want 1", code)
	}
	if len(got) != len(want) {
		t.Fatalf("commandLines = %q, want %q", got, want)
	}
	for i := range want {
		if strings.Join(got[i], " ") != strings.Join(want[i], " ") {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}
