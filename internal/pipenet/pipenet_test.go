package pipenet

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestServeUnderFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(t)
		url := n.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(time.Hour)
			io.WriteString(w, "late")
		}))
		client := &http.Client{Transport: n.Transport}
		start := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "late" || time.Since(start) != time.Hour {
			t.Errorf("GET = %q after %v, want \"late\" after the handler's hour", b, time.Since(start))
		}
		if _, err := client.Get("http://nowhere.test/"); !errors.Is(err, ErrRefused) {
			t.Errorf("GET of an address no server listens on = %v, want ErrRefused", err)
		}
	})
}
