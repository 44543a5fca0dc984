package testenv

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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

// Repo returns a repository in the test registry that no earlier run used:
// the registry keeps its content between runs, and tests compare tag maps.
func Repo(t testing.TB) string {
	t.Helper()
	path := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	return fmt.Sprintf("%s/test/%s-%d", Get(t).Registry, path, time.Now().UnixNano())
}
