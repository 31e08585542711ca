package readonly

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAllow(t *testing.T) {
	for method, want := range map[string]bool{"GET": true, "HEAD": true, "POST": false, "DELETE": false} {
		rec := httptest.NewRecorder()
		got := Allow(rec, httptest.NewRequest(method, "/", nil))
		if got != want {
			t.Errorf("Allow(%s) = %v, want %v", method, got, want)
		}
		if !want && (rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD") {
			t.Errorf("Allow(%s) answered %d with Allow %q", method, rec.Code, rec.Header().Get("Allow"))
		}
	}
}
