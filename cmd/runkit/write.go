package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxLinks bounds the symbolic links writeOutput follows, as the kernel's
// own limit on a path does.
const maxLinks = 40

// writeOutput writes data to the file a -o or --html flag names, into
// what the path stands for rather than over it:
//   - a regular file, or a path that does not exist yet, is written
//     atomically: a temporary file beside it renamed into place, so that
//     Prometheus never loads half a file; an existing file keeps its
//     permissions, a new one is 0644;
//   - a symbolic link is followed to its last target, which is written
//     so (created when the link dangles); the link stays a link, as the
//     files of a Kubernetes ConfigMap are;
//   - a link into /proc, as /dev/stdout and /dev/fd/N are, names an open
//     file: it is written in place, appending, as the shell's redirect
//     of that descriptor would;
//   - anything else that is not a directory (a FIFO, a terminal, a
//     character device) is opened and written in place, never replaced.
//
// A directory, or a path whose directory does not exist, is an error.
func writeOutput(path string, data []byte) error {
	return writeOutputFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeOutputFunc is writeOutput with what write writes, so that a large
// output is streamed rather than held in memory.
func writeOutputFunc(path string, write func(io.Writer) error) error {
	target, err := resolve(path)
	if err != nil {
		return err
	}
	if target.inPlace {
		return writeInPlace(target.path, write, os.O_WRONLY|os.O_APPEND)
	}
	fi, err := os.Lstat(target.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeAtomic(target.path, write, 0o644)
	case err != nil:
		return err
	case fi.IsDir():
		return errors.New("is a directory")
	case fi.Mode().IsRegular():
		return writeAtomic(target.path, write, fi.Mode().Perm())
	}
	return writeInPlace(target.path, write, os.O_WRONLY)
}

type outputTarget struct {
	path    string
	inPlace bool // a link into /proc: an open descriptor
}

// resolve follows path's symbolic links, the last component's only: the
// directories on the way resolve as the kernel resolves them.
func resolve(path string) (outputTarget, error) {
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			dir := filepath.Dir(p)
			if _, err := os.Stat(dir); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return outputTarget{}, fmt.Errorf("directory %s does not exist", dir)
				}
				return outputTarget{}, err
			}
			return outputTarget{path: p}, nil
		}
		if err != nil {
			return outputTarget{}, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return outputTarget{path: p}, nil
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return outputTarget{}, err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		if dest == "/proc" || strings.HasPrefix(dest, "/proc/") {
			return outputTarget{path: p, inPlace: true}, nil
		}
		p = dest
	}
	return outputTarget{}, fmt.Errorf("more than %d symbolic links", maxLinks)
}

// writeInPlace opens path, which must exist, and writes into it.
func writeInPlace(path string, write func(io.Writer) error, flag int) error {
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeAtomic writes to a temporary file beside path and renames it into
// place with permissions perm.
func writeAtomic(path string, write func(io.Writer) error, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// outputFile says whether -o names a file rather than standard output
// ("" or "-"), after checking, before any work, that writeOutput could
// write it and that it is none of the command's inputs.
func outputFile(path string, inputs []string) (bool, error) {
	if path == "" || path == "-" {
		return false, nil
	}
	if err := checkOutputOf("-o", path, inputs); err != nil {
		return false, err
	}
	return true, nil
}

// checkOutputOf is checkOutput for the output flag, such as -o or --html,
// of a command that reads inputs: an output that is one of them, under
// any spelling of its path or through a link, is a usage error naming the
// flag and the input, since writing it would replace what is read.
func checkOutputOf(flag, path string, inputs []string) error {
	if err := checkOutput(path); err != nil {
		return usageErrorf("%s %s: %v", flag, path, err)
	}
	if in, ok := sameAsInput(path, inputs); ok {
		return usageErrorf("%s %s: is the input file %s: writing it would replace what is read; give %s another file", flag, path, in, flag)
	}
	return nil
}

// sameAsInput returns the input that path names, as os.SameFile tells:
// the same file through another spelling, a symbolic link or a hard link.
// Only regular files are compared, since only they would be replaced: a
// terminal or a pipe read and written, as /dev/stdin and /dev/stdout
// are, is not; "-" is standard input.
func sameAsInput(path string, inputs []string) (string, bool) {
	out, err := os.Stat(path)
	if err != nil || !out.Mode().IsRegular() {
		return "", false
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		if fi, err := os.Stat(in); err == nil && os.SameFile(out, fi) {
			return in, true
		}
	}
	return "", false
}

// checkOutput reports, before any work, a -o or --html path that
// writeOutput would refuse: a directory, or a missing directory.
func checkOutput(path string) error {
	target, err := resolve(path)
	if err != nil || target.inPlace {
		return err
	}
	if fi, err := os.Stat(target.path); err == nil && fi.IsDir() {
		return errors.New("is a directory")
	}
	return nil
}
