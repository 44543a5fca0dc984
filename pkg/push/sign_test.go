package push_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
	"github.com/cairn-build/cairn/pkg/sign"
)

// throughProxy is a fault-injecting proxy to repo's registry, and repo through it.
func throughProxy(t *testing.T, repo string) (*faultproxy.Proxy, string) {
	t.Helper()
	host, _, _ := strings.Cut(repo, "/")
	p := faultproxy.Start(host)
	t.Cleanup(p.Close)
	return p, p.Addr + strings.TrimPrefix(repo, host)
}

// signingKey is a new key in cosign's format, loaded.
func signingKey(t *testing.T) *sign.Key {
	t.Helper()
	path := testenv.CosignKey(t, "pw")
	k, err := sign.LoadKey(path, "", func(string) (string, bool) { return "pw", true })
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rawManifest is a manifest to put as it is.
type rawManifest struct {
	data      []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.data, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

// foreignReferrer puts, with ggcr as cosign does, an artifact about
// repo@dgst (ggcr writes the fallback tag), and returns its digest.
func foreignReferrer(t *testing.T, repo, dgst string) string {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r.Digest(dgst))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteLayer(r, static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json")); err != nil {
		t.Fatal(err)
	}
	empty := ocispecs.DescriptorEmptyJSON
	empty.Data = nil
	data, err := json.Marshal(ocispecs.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispecs.MediaTypeImageManifest, ArtifactType: "application/vnd.example.sbom",
		Config: empty, Layers: []ocispecs.Descriptor{empty},
		Subject: &ocispecs.Descriptor{MediaType: string(desc.MediaType), Digest: digest.Digest(desc.Digest.String()), Size: desc.Size},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := v1.SHA256(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r.Digest(h.String()), rawManifest{data, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// referrers reads the digests and artifact types the fallback tag of
// repo@dgst lists.
func referrers(t *testing.T, repo, dgst string) map[string]string {
	t.Helper()
	desc := mustGet(t, repo+":"+registry.ReferrersTag(dgst))
	var idx ocispecs.Index
	if err := json.Unmarshal(desc.Manifest, &idx); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range idx.Manifests {
		out[m.Digest.String()] = m.ArtifactType
	}
	return out
}

// signedBy reports whether one of the bundles repo@dgst's fallback tag
// lists is k's signature of dgst.
func signedBy(t *testing.T, k *sign.Key, repo, dgst string) bool {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	for d, typ := range referrers(t, repo, dgst) {
		if typ != sign.BundleMediaType {
			continue
		}
		_, data, err := fast(t).ReadLayer(t.Context(), r, d)
		if err != nil {
			t.Fatal(err)
		}
		if k.Signed(data, dgst) {
			return true
		}
	}
	return false
}

// TestCommitSigns: the image a final tag moves to gets the key's bundle as
// a referrer; the fallback tag moves between the caches and the final
// tag, keeping the referrer listed there before; an image signed already
// moves nothing again; a failed final tag puts the fallback tag back.
func TestCommitSigns(t *testing.T) {
	repo := testenv.Repo(t)
	k := signingKey(t)
	cache, final := stage(t, repo), stage(t, repo)
	foreign := foreignReferrer(t, repo, final)
	moves := []push.Move{{Tag: repo + ":latest", Digest: final, Kind: push.KindFinal}, {Tag: repo + ":cache", Digest: cache, Kind: push.KindCache}}
	signed := push.WithSignatures(push.Signatures{Signer: k})
	fallback := registry.ReferrersTag(final)

	results, err := push.Commit(t.Context(), fast(t), moves, signed)
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, results, "cache=moved "+fallback+"=moved latest=moved")
	listed := referrers(t, repo, final)
	if len(listed) != 2 || listed[foreign] == "" || !signedBy(t, k, repo, final) {
		t.Errorf("the fallback tag lists %v: want the foreign referrer %s and the key's bundle", listed, foreign)
	}
	if results[1].Kind != push.KindSignature || results[1].Previous == "" {
		t.Errorf("the fallback tag's result %+v: want kind signature, moved from the foreign referrer's list", results[1])
	}

	before := testenv.Tags(t, repo)
	again, err := push.Commit(t.Context(), fast(t), moves, signed)
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, again, "cache=unchanged latest=unchanged")
	testenv.WantTags(t, repo, before, "signing a signed image again moved tags")

	proxy, proxied := throughProxy(t, repo)
	proxy.Fail(http.MethodPut, `/manifests/latest$`, http.StatusInternalServerError, -1)
	next := stage(t, repo)
	_, err = push.Commit(t.Context(), fast(t), []push.Move{{Tag: proxied + ":latest", Digest: next, Kind: push.KindFinal}}, signed)
	if !errors.As(err, new(*push.CommitError)) {
		t.Fatalf("err = %v, want a *push.CommitError", err)
	}
	testenv.WantTags(t, repo, before, "after the failed commit")
}

// TestCommitSignsManifestsAndLegacyTag: with Manifests each platform's
// image is signed too, and with LegacyTag each gets cosign's .sig tag,
// whose signature verifies; all are kept on a second commit.
func TestCommitSignsManifestsAndLegacyTag(t *testing.T) {
	repo := testenv.Repo(t)
	k := signingKey(t)
	idx, images := stageIndex(t, repo)
	moves := []push.Move{{Tag: repo + ":v1", Digest: idx, Kind: push.KindFinal}}
	opt := push.WithSignatures(push.Signatures{Signer: k, Manifests: true, LegacyTag: true})
	results, err := push.Commit(t.Context(), fast(t), moves, opt)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range append([]string{idx}, images...) {
		want = append(want, registry.ReferrersTag(d), registry.LegacySignatureTag(d))
		if !signedBy(t, k, repo, d) {
			t.Errorf("%s has no bundle of the key", d)
		}
		if !legacySigned(t, k, repo, d) {
			t.Errorf("%s has no legacy signature of the key", d)
		}
	}
	var got []string
	for _, r := range results {
		if r.Kind == push.KindSignature && r.State == push.Moved {
			tag, _ := name.NewTag(r.Tag)
			got = append(got, tag.TagStr())
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("signature tags moved %v, want %v", got, want)
	}
	again, err := push.Commit(t.Context(), fast(t), moves, opt)
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, again, "v1=unchanged")
}

// legacySigned reports whether the .sig tag of repo@dgst has a layer
// with k's signature of a payload naming dgst.
func legacySigned(t *testing.T, k *sign.Key, repo, dgst string) bool {
	t.Helper()
	tag, err := name.NewTag(repo + ":" + registry.LegacySignatureTag(dgst))
	if err != nil {
		t.Fatal(err)
	}
	_, layers, err := fast(t).ReadLayers(t.Context(), tag)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		sig, _ := base64.StdEncoding.DecodeString(l.Annotations[sign.SignatureAnnotation])
		if l.MediaType == sign.SimpleSigningMediaType && k.SignedPayload(l.Data, sig, dgst) {
			return true
		}
	}
	return false
}

// TestRefusedSignatureMovesNothing: a registry that refuses the bundle's
// referrer fails the commit before any tag moves, naming the image.
func TestRefusedSignatureMovesNothing(t *testing.T) {
	repo := testenv.Repo(t)
	proxy, proxied := throughProxy(t, repo)
	proxy.FailBody(http.MethodPut, `/manifests/sha256:`, `"artifactType":"`+sign.BundleMediaType+`"`, http.StatusBadRequest, -1)
	final := stage(t, repo)
	_, err := push.Commit(t.Context(), fast(t), []push.Move{{Tag: proxied + ":latest", Digest: final, Kind: push.KindFinal}},
		push.WithSignatures(push.Signatures{Signer: signingKey(t)}))
	if !errors.As(err, new(*push.PrepareError)) || !strings.Contains(err.Error(), "sign "+proxied+"@"+final) {
		t.Fatalf("err = %v, want a *push.PrepareError naming %s", err, final)
	}
	if tags := testenv.Tags(t, repo); len(tags) > 0 {
		t.Errorf("tags after the refused signature: %v", tags)
	}
}

// TestReferrersAPIMovesNoTag: a registry with the referrers API lists the
// bundle itself: no fallback tag is written or moved.
func TestReferrersAPIMovesNoTag(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/test/app"
	k := signingKey(t)
	final := stage(t, repo)
	moves := []push.Move{{Tag: repo + ":latest", Digest: final, Kind: push.KindFinal}}
	opt := push.WithSignatures(push.Signatures{Signer: k})
	results, err := push.Commit(t.Context(), fast(t), moves, opt)
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, results, "latest=moved")
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // signed again: nothing added
		refs, err := fast(t).ReadReferrers(t.Context(), r, final)
		if err != nil {
			t.Fatal(err)
		}
		if !refs.API || len(refs.Index.Manifests) != 1 || refs.Index.Manifests[0].Annotations["dev.sigstore.bundle.predicateType"] != sign.PredicateType {
			t.Errorf("referrers %+v: want the API to list the bundle alone", refs)
		}
		if tags := testenv.Tags(t, repo); len(tags) != 1 {
			t.Errorf("tags %v, want latest alone", tags)
		}
		if _, err := push.Commit(t.Context(), fast(t), moves, opt); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSignMergesAgainWhenTheTagMoved: another signer adds a referrer to
// the fallback tag after the commit staged its list and before it moves
// it: the commit merges again, and both are listed.
func TestSignMergesAgainWhenTheTagMoved(t *testing.T) {
	repo := testenv.Repo(t)
	proxy, proxied := throughProxy(t, repo)
	k := signingKey(t)
	final := stage(t, repo)
	hold := proxy.Hold(http.MethodPut, `/manifests/`+push.RecordTag+`$`)
	done := make(chan error, 1)
	go func() {
		_, err := push.Commit(t.Context(), fast(t), []push.Move{{Tag: proxied + ":latest", Digest: final, Kind: push.KindFinal}},
			push.WithSignatures(push.Signatures{Signer: k}))
		done <- err
	}()
	<-hold.Reached()
	foreign := foreignReferrer(t, repo, final) // ggcr writes the fallback tag, as cosign would
	hold.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if listed := referrers(t, repo, final); len(listed) != 2 || listed[foreign] == "" || !signedBy(t, k, repo, final) {
		t.Errorf("the fallback tag lists %v: want the other signer's %s and the key's bundle", listed, foreign)
	}
}
