package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/ybiyri/runkit/slo"
)

// maxSLOStatus bounds the answer FetchSLOStatus reads: a status takes about
// a kilobyte.
const maxSLOStatus = 8 << 20

// ReadSLOStatus reads the JSON a slo.Tracker's Handler serves (a
// slo.TrackerStatus) into statuses for Gate.Decide, so that a pipeline
// gates on a service's /slo with no glue. It reads one report, an array
// of reports, or several of either one after another (the /slo answers of
// several services, concatenated); "[]" is no status, which the gate refuses by
// default, while input with no JSON at all is an error.
//
// What the gate reads must be there: "objective" (not empty), "noData",
// "budgetRemaining", and each tier's "severity" and "firing"; an error
// names the report (counting from 1) and the field. The other fields are
// read as slo.TrackerStatus's UnmarshalJSON reads them: a status this
// runkit wrote reads back whole, and one without "observedShare" (from an
// older runkit) reads as a window observed whole.
func ReadSLOStatus(r io.Reader) ([]slo.TrackerStatus, error) {
	dec := json.NewDecoder(r)
	out := []slo.TrackerStatus{}
	n, values := 0, 0
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("deploy: SLO status %d: %w", n+1, err)
		}
		values++
		var reports []json.RawMessage
		if bytes.HasPrefix(raw, []byte("[")) {
			if err := json.Unmarshal(raw, &reports); err != nil {
				return nil, fmt.Errorf("deploy: SLO status %d: %w", n+1, err)
			}
		} else {
			reports = []json.RawMessage{raw}
		}
		for _, rep := range reports {
			n++
			s, err := fromReport(rep)
			if err != nil {
				return nil, fmt.Errorf("deploy: SLO status %d%w", n, err)
			}
			out = append(out, s)
		}
	}
	if values == 0 {
		return nil, errors.New("deploy: no SLO status in the input")
	}
	return out, nil
}

// fromReport reads one status with slo.TrackerStatus's UnmarshalJSON and
// checks that the fields the gate reads were there. Its errors begin with
// ": " or " is", to follow the report's number.
func fromReport(raw json.RawMessage) (slo.TrackerStatus, error) {
	if !bytes.HasPrefix(raw, []byte("{")) {
		return slo.TrackerStatus{}, errors.New(" is not a JSON object")
	}
	var s slo.TrackerStatus
	if err := json.Unmarshal(raw, &s); err != nil {
		return slo.TrackerStatus{}, fmt.Errorf(": %w", err)
	}
	// Which of the fields the gate reads are present: the zero value of
	// a missing one would judge a budget nobody reported.
	var present struct {
		Objective       *string
		NoData          *bool
		BudgetRemaining *float64
		ObservedSeconds *float64
		ObservedShare   *float64
		Tiers           []struct {
			Severity *string
			Firing   *bool
		}
	}
	json.Unmarshal(raw, &present) // the types were checked above
	switch {
	case present.Objective == nil:
		return slo.TrackerStatus{}, errors.New(`: field "objective" is missing`)
	case s.Objective == "":
		return slo.TrackerStatus{}, errors.New(`: field "objective" is empty`)
	case present.NoData == nil:
		return slo.TrackerStatus{}, errors.New(`: field "noData" is missing`)
	case present.BudgetRemaining == nil:
		return slo.TrackerStatus{}, errors.New(`: field "budgetRemaining" is missing`)
	}
	if o := present.ObservedShare; o != nil && !(*o > 0 && *o <= 1) {
		return slo.TrackerStatus{}, fmt.Errorf(`: field "observedShare" %v is out of range (0, 1]`, *o)
	}
	if o := present.ObservedSeconds; o != nil && *o < 0 {
		return slo.TrackerStatus{}, fmt.Errorf(`: field "observedSeconds" %v is negative`, *o)
	}
	for i, t := range present.Tiers {
		switch {
		case t.Severity == nil:
			return slo.TrackerStatus{}, fmt.Errorf(`: tier %d: field "severity" is missing`, i)
		case t.Firing == nil:
			return slo.TrackerStatus{}, fmt.Errorf(`: tier %d: field "firing" is missing`, i)
		}
	}
	return s, nil
}

// mediaType names a Content-Type for an error: its media type, or the
// header quoted when it does not parse.
func mediaType(header, mt string, err error) string {
	if err != nil {
		return fmt.Sprintf("Content-Type %q", header)
	}
	return mt
}

// FetchSLOStatus gets statusURL, a service's /slo (slo.Tracker.Handler),
// and reads its answer with ReadSLOStatus. Client nil means
// http.DefaultClient; ctx bounds the request. An answer other than 200 OK
// is an error, and so is one that is not the /slo JSON, which names the
// Content-Type the server sent when it is not JSON (a login page
// answers text/html). Errors show the URL as RedactURL writes it: a status URL may
// carry a token too.
func FetchSLOStatus(ctx context.Context, client *http.Client, statusURL string) ([]slo.TrackerStatus, error) {
	u, err := baseURL("SLO status URL", statusURL, "")
	if err != nil {
		return nil, err
	}
	shown := RedactURL(statusURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("deploy: GET %s: bad URL", shown)
	}
	req.Header.Set("Accept", "application/json")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// The *url.Error's own text would name the URL a second time.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("deploy: GET %s: %w", shown, newScrubber(statusURL).scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("deploy: GET %s: %s", shown, resp.Status)
	}
	st, err := ReadSLOStatus(&capped{r: resp.Body, left: maxSLOStatus})
	if errors.Is(err, errTooLarge) {
		return nil, fmt.Errorf("deploy: GET %s: answer is over %d bytes", shown, maxSLOStatus)
	}
	if err != nil {
		// A login page or a proxy's error page: say what came back rather
		// than where the JSON decoder stumbled on it.
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			if mt, _, perr := mime.ParseMediaType(ct); perr != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
				return nil, fmt.Errorf("deploy: GET %s: answered %s, not the /slo JSON (%w)", shown, mediaType(ct, mt, perr), err)
			}
		}
		return nil, fmt.Errorf("deploy: GET %s: %w", shown, err)
	}
	return st, nil
}

// errTooLarge is capped's error once its reader holds more than it allows.
var errTooLarge = errors.New("deploy: answer too large")

// capped reads r up to left bytes, and fails with errTooLarge when r holds
// more, rather than ending as if the answer were whole.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
