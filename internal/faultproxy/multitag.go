package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
)

// EmulateMultiTag makes the proxy answer the distribution-spec v1.1
// multi-tag manifest put (PUT /v2/<name>/manifests/<digest>?tag=a&tag=b),
// which the distribution registry does not implement, as a registry that
// supports it does: it puts the manifest by digest and under each tag, and
// lists the tags it put in OCI-Tag headers. Without it the query goes to the
// registry, which ignores it and tags nothing.
func (p *Proxy) EmulateMultiTag() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.multiTag = true
}

var byDigest = regexp.MustCompile(`^(/v2/.+/manifests/)(sha256:[0-9a-f]{64})$`)

func (p *Proxy) isMultiTag(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.multiTag && r.Method == http.MethodPut && byDigest.MatchString(r.URL.Path) && r.URL.Query().Has("tag")
}

func (p *Proxy) multiTagPut(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	prefix := byDigest.FindStringSubmatch(r.URL.Path)[1]
	refs := append([]string{strings.TrimPrefix(r.URL.Path, prefix)}, r.URL.Query()["tag"]...)
	var put []string
	for i, ref := range refs {
		req := r.Clone(r.Context())
		req.URL.Path, req.URL.RawQuery, req.RequestURI = prefix+ref, "", ""
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		if i == 0 {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
		} else {
			put = append(put, ref)
		}
	}
	w.Header().Set("OCI-Tag", strings.Join(put, ", "))
	w.WriteHeader(http.StatusCreated)
}
