package cache_test

import (
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/registry"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func access(t *testing.T) *registry.Access {
	t.Helper()
	return testenv.Access(t)
}

func TestProbe(t *testing.T) {
	host := testenv.Get(t).Registry
	found, missing := host+"/"+devenv.BusyboxRef, host+"/library/busybox:no-such-tag"
	states, err := cache.Probe(t.Context(), access(t), []string{found, missing, found})
	if err != nil {
		t.Fatal(err)
	}
	if states[found] != cache.Found || states[missing] != cache.Missing || len(states) != 2 {
		t.Errorf("states = %v, want %s found and %s missing", states, found, missing)
	}
}

func TestProbeUnreachableRegistry(t *testing.T) {
	ref := "127.0.0.1:1/app:cache-deps"
	bad := "127.0.0.1:1/App:cache-deps"
	_, err := cache.Probe(t.Context(), access(t), []string{ref, bad})
	if err == nil || !strings.Contains(err.Error(), "cache "+ref) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error = %v, want one naming %s and the refused connection", err, ref)
	}
	if err == nil || !strings.Contains(err.Error(), "cache "+bad) {
		t.Errorf("error = %v, want the unparsable %s named too", err, bad)
	}
}
