package registry_test

import (
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/registry"
)

// serve starts an in-process registry and returns its host:port.
func serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// closedPort is a loopback host:port nothing listens on: a source that is down.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// pushRandom puts a random image at ref and returns its digest.
func pushRandom(t *testing.T, ref string) string {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	return testenv.Push(t, ref, img)
}

// TestMirrors: Get and Head read from the mirror first, then from the
// registry; a 404 from any source is the answer when none has the image.
func TestMirrors(t *testing.T) {
	origin, mirror := serve(t), serve(t)
	down := closedPort(t)
	onMirror := pushRandom(t, mirror+"/library/base:mirrored")
	onOrigin := pushRandom(t, origin+"/library/base:origin-only")
	onBoth := pushRandom(t, origin+"/library/base:both")
	staleOnMirror := pushRandom(t, mirror+"/library/base:both") // the mirror's wins, as the daemon pulls it

	tests := []struct {
		name     string
		mirrors  map[string][]string
		ref      string
		want     string // digest; "" wants an error
		notFound bool
	}{
		{"from the mirror, the origin never asked", map[string][]string{origin: {mirror}}, origin + "/library/base:mirrored", onMirror, false},
		{"the mirror lacks it: from the origin", map[string][]string{origin: {mirror}}, origin + "/library/base:origin-only", onOrigin, false},
		{"the mirror first", map[string][]string{origin: {mirror}}, origin + "/library/base:both", staleOnMirror, false},
		{"a mirror down: the next", map[string][]string{origin: {down, mirror}}, origin + "/library/base:mirrored", onMirror, false},
		{"no mirror: the origin", nil, origin + "/library/base:both", onBoth, false},
		{"nowhere: not found", map[string][]string{origin: {mirror}}, origin + "/library/base:nowhere", "", true},
		{"by digest", map[string][]string{origin: {mirror}}, origin + "/library/base@" + onMirror, onMirror, false},
		// docker.io, as build.yaml and the flag spell it: Docker Hub is never asked.
		{"docker.io", map[string][]string{"docker.io": {mirror}}, "base:mirrored", onMirror, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := registry.New(registry.WithMirrors(tt.mirrors), registry.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Steps: 1}))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := a.Reference(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			desc, getErr := a.Get(ctx, ref)
			head, headErr := a.Head(ctx, ref)
			if tt.want == "" {
				if getErr == nil || headErr == nil {
					t.Fatalf("Get: %v, Head: %v; want errors", getErr, headErr)
				}
				if registry.IsNotFound(getErr) != tt.notFound || registry.IsNotFound(headErr) != tt.notFound {
					t.Errorf("IsNotFound(Get: %v, Head: %v) != %v", getErr, headErr, tt.notFound)
				}
				return
			}
			if getErr != nil || headErr != nil {
				t.Fatalf("Get: %v, Head: %v", getErr, headErr)
			}
			if desc.Digest.String() != tt.want || head.Digest.String() != tt.want {
				t.Errorf("Get %s, Head %s; want %s", desc.Digest, head.Digest, tt.want)
			}
		})
	}
}

func TestWithMirrorsRejects(t *testing.T) {
	for _, m := range []map[string][]string{
		{"https://docker.io": {"mirror.example.com"}},
		{"docker.io": {"mirror.example.com/path"}},
		{"docker.io": {""}},
	} {
		if _, err := registry.New(registry.WithMirrors(m)); err == nil {
			t.Errorf("WithMirrors(%v) accepted", m)
		}
	}
}
