package testenv

import (
	"fmt"
	"io"
	"log"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Tags reads every tag of repo but cairn's commit record, and the digest
// each points at: the state a publish must change all of or none of. A
// repository that does not exist has no tags. opts are for registries
// that want a login (remote.WithAuth).
func Tags(t testing.TB, repo string, opts ...remote.Option) map[string]string {
	t.Helper()
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r, opts...)
	if err != nil && !strings.Contains(err.Error(), "NAME_UNKNOWN") {
		t.Fatalf("list tags of %s: %v", repo, err)
	}
	m := map[string]string{}
	for _, tag := range tags {
		if tag == "cairn-commit" {
			continue // cairn's commit record (push.RecordTag), not a published tag
		}
		desc, err := remote.Head(r.Tag(tag), opts...)
		if err != nil {
			t.Fatal(err)
		}
		m[tag] = desc.Digest.String()
	}
	return m
}

// WantTags fails the test, saying what of the tags differs, unless repo's
// tags (as Tags reads them) are want. what says which state was expected
// ("a failed build moved tags").
func WantTags(t testing.TB, repo string, want map[string]string, what string, opts ...remote.Option) {
	t.Helper()
	if diff := tagsDiff(want, Tags(t, repo, opts...)); diff != "" {
		t.Errorf("%s: tags of %s differ:\n%s", what, repo, diff)
	}
}

// tagsDiff lists, a line each in tag order, the tags got moved, added or
// removed against want; "" when they are the same.
func tagsDiff(want, got map[string]string) string {
	var b strings.Builder
	both := map[string]string{}
	maps.Copy(both, want)
	maps.Copy(both, got)
	for _, tag := range slices.Sorted(maps.Keys(both)) {
		w, inWant := want[tag]
		g, inGot := got[tag]
		switch {
		case !inGot:
			fmt.Fprintf(&b, "  - %s (was %s)\n", tag, w)
		case !inWant:
			fmt.Fprintf(&b, "  + %s (%s)\n", tag, g)
		case w != g:
			fmt.Fprintf(&b, "  ~ %s: %s, want %s\n", tag, g, w)
		}
	}
	return b.String()
}

// Repo returns a repository in the test registry that no earlier run used:
// the registry keeps its content between runs, and tests compare tag maps.
// With -short it is in an in-process registry of the test's own (ggcr's),
// on loopback: the registry tests then run without the environment, and
// prove against the real one without -short.
func Repo(t testing.TB) string {
	t.Helper()
	path := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	return fmt.Sprintf("%s/test/%s-%d", RegistryHost(t), path, time.Now().UnixNano())
}

// RegistryHost is the test registry's host:port: the environment's, or with
// -short an in-process registry that lives as long as the test.
func RegistryHost(t testing.TB) string {
	t.Helper()
	if !testing.Short() {
		return Get(t).Registry
	}
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Access is cairn's default registry access, for tests that reach the
// test registry through cairn's packages.
func Access(t testing.TB) *registry.Access {
	t.Helper()
	reg, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
