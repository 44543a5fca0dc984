package cache_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cache"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestProbe(t *testing.T) {
	reg := testenv.Get(t).Registry
	found, missing := reg+"/"+devenv.BusyboxRef, reg+"/library/busybox:no-such-tag"
	states, err := cache.Registries{}.Probe(context.Background(), []string{found, missing, found})
	if err != nil {
		t.Fatal(err)
	}
	if states[found] != cache.Found || states[missing] != cache.Missing || len(states) != 2 {
		t.Errorf("states = %v, want %s found and %s missing", states, found, missing)
	}
}

func TestProbeUnreachableRegistry(t *testing.T) {
	ref := "127.0.0.1:1/app:cache-deps"
	_, err := cache.Registries{}.Probe(context.Background(), []string{ref})
	if err == nil || !strings.Contains(err.Error(), "cache "+ref) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error = %v, want one naming %s and the refused connection", err, ref)
	}
}
