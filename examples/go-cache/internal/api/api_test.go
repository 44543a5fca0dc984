package api

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/go-cache/internal/notes"
)

func TestAPI(t *testing.T) {
	store, _ := notes.Open("")
	srv := httptest.NewServer(Handler(store, log.New(io.Discard, "", 0)))
	defer srv.Close()

	steps := []struct {
		method, path, body string
		wantCode           int
		wantBody           string // a substring of the reply
	}{
		{"GET", "/healthz", "", http.StatusNoContent, ""},
		{"POST", "/notes", `{"title":"groceries","tags":["home"]}`, http.StatusCreated, `"id":1`},
		{"POST", "/notes", `{"title":"   "}`, http.StatusUnprocessableEntity, "needs a title"},
		{"POST", "/notes", `{"title":`, http.StatusBadRequest, "invalid JSON"},
		{"POST", "/notes", `{"title":"release"}`, http.StatusCreated, `"id":2`},
		{"GET", "/notes?tag=home", "", http.StatusOK, `"title":"groceries"`},
		{"PUT", "/notes/2", `{"title":"release","body":"v1.3"}`, http.StatusOK, `"body":"v1.3"`},
		{"GET", "/notes.yaml", "", http.StatusOK, "body: v1.3"},
		{"DELETE", "/notes/1", "", http.StatusNoContent, ""},
		{"GET", "/notes/1", "", http.StatusNotFound, "not found"},
		{"GET", "/notes/abc", "", http.StatusNotFound, ""},
	}
	for _, st := range steps {
		req, err := http.NewRequest(st.method, srv.URL+st.path, strings.NewReader(st.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != st.wantCode || !strings.Contains(string(body), st.wantBody) {
			t.Errorf("%s %s: %d %q, want %d and %q", st.method, st.path, resp.StatusCode, body, st.wantCode, st.wantBody)
		}
	}
}
