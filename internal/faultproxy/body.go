package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// FailBody is Fail for the requests whose body also contains body: a
// registry that refuses one kind of manifest (an OCI 1.1 artifact type,
// say) among the puts to one path.
func (p *Proxy) FailBody(method, pathPattern, body string, status, times int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := match{method: method, path: regexp.MustCompile(pathPattern), body: body}
	p.faults = append(p.faults, &fault{match: m, action: action{status: status}, times: times})
}

// bodyContains reads r's body, puts it back for the registry, and
// reports whether it contains s.
func bodyContains(r *http.Request, s string) bool {
	if r.Body == nil {
		return false
	}
	data, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(data))
	return err == nil && strings.Contains(string(data), s)
}
