package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Writer returns a sink that writes each marker as one line of JSON to w:
// standard output when w is nil, where a log collector picks it up.
func Writer(w io.Writer) Sink {
	if w == nil {
		w = os.Stdout
	}
	return &writer{w: w}
}

type writer struct {
	mu sync.Mutex // serializes lines
	w  io.Writer
}

func (w *writer) Name() string { return "writer" }

func (w *writer) Send(_ context.Context, m Marker) error {
	// A line for logs, files and jq, not a web page: "->" stays "->".
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Event string `json:"event"`
		Marker
	}{"deployment", m}); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.w.Write(b.Bytes())
	return err
}

// maxLine bounds one line ReadMarkers reads; a marker takes a few hundred
// bytes.
const maxLine = 1 << 20

// ReadMarkers reads back the JSON lines a Writer wrote, in order: the
// markers a pipeline collected, for MeasureDORA (through
// Marker.Deployment) or to announce again. Blank lines are skipped, and so
// are JSON objects whose "event" is not "deployment", so that a stream may
// carry other events too. Any other line is an error naming its number: a
// line that is not a JSON object (a truncated file, say), or a deployment
// that does not validate (see Marker.Validate: one with no id, version or
// revision identifies no deployment) or has no start, and a deployment
// with a field a Writer does not write ("revison", say), so that a typo
// does not silently drop what the field held.
func ReadMarkers(r io.Reader) ([]Marker, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var out []Marker
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var ev struct {
			Event *string `json:"event"`
		}
		if line[0] != '{' {
			return out, fmt.Errorf("deploy: marker line %d is not a JSON object", n)
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			return out, fmt.Errorf("deploy: marker line %d: %w", n, err)
		}
		if ev.Event == nil || *ev.Event != "deployment" {
			continue
		}
		m, err := strictMarker(line)
		if err != nil {
			return out, fmt.Errorf("deploy: marker line %d: %w", n, err)
		}
		if err := m.Validate(); err != nil {
			return out, fmt.Errorf("deploy: marker line %d: %s", n, strings.TrimPrefix(err.Error(), "deploy: "))
		}
		if m.Start.IsZero() {
			return out, fmt.Errorf("deploy: marker line %d: start is missing", n)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line is longer than %d bytes", maxLine)
		}
		return out, fmt.Errorf("deploy: reading markers: %w", err)
	}
	return out, nil
}

// strictMarker reads the line of a deployment as a Writer writes it: its
// "event" and the Marker's fields, and no other.
func strictMarker(line []byte) (Marker, error) {
	var ev struct {
		Event string `json:"event"`
		Marker
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Marker{}, fmt.Errorf("%s: want %s, not a JSON %s", strings.TrimPrefix(te.Field, "Marker."), te.Type, te.Value)
		}
		return Marker{}, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return ev.Marker, nil
}
