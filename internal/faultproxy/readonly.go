package faultproxy

import (
	"net/http"
	"slices"
)

// ReadOnly makes the proxy refuse every write (POST, PUT, PATCH, DELETE)
// made with user's login (basic auth) with 403 DENIED, as a registry
// answers credentials that may pull but not push. Reads pass.
func (p *Proxy) ReadOnly(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.readOnly = append(p.readOnly, user)
}

// denied reports whether r is a write by a read-only user.
func (p *Proxy) denied(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	return p.loginIn(r, &p.readOnly)
}

// loginIn reports whether r is made with the login (basic auth) of one of
// *users, read under the lock.
func (p *Proxy) loginIn(r *http.Request, users *[]string) bool {
	user, _, ok := r.BasicAuth()
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(*users, user)
}

func deny(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}` + "\n"))
}
