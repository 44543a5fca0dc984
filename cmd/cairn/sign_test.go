package main

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	godigest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/registry"
	"github.com/cairn-build/cairn/pkg/sign"
)

const keyPassword = "correct-horse-battery-staple"

// cosign runs bin/cosign, the oracle built from its own module (make
// tools), with a home of its own and env added.
func cosign(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	bin, err := cosignBin()
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		t.Fatalf("%v: make tools builds bin/cosign", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cosignBin is bin/cosign's path, found before a test changes directory.
var cosignBin = sync.OnceValues(func() (string, error) {
	_, binDir, err := testenv.Paths()
	return filepath.Join(binDir, "cosign"), err
})

// keyPair has cosign generate a key pair under keyPassword: the private
// and the public key's paths.
func keyPair(t *testing.T) (string, string) {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "cosign")
	if out, err := cosign(t, []string{"COSIGN_PASSWORD=" + keyPassword}, "generate-key-pair", "--output-key-prefix", prefix); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	return prefix + ".key", prefix + ".pub"
}

// verify is cosign verify of ref with the public key pub: offline (no
// transparency log), over plain HTTP.
func verify(t *testing.T, pub, ref string) (string, error) {
	t.Helper()
	return cosign(t, nil, "verify", "--key", pub, "--insecure-ignore-tlog=true", "--allow-http-registry", ref)
}

// TestSignedPublishVerifiesWithCosign: cosign verifies the images cairn
// build --sign-key publishes; it rejects a tampered or missing signature;
// the key and its password are nowhere in the output, the metadata file
// or the registry; and a no-change republish from a fresh daemon, with
// provenance and signing on, moves no tag and still verifies.
func TestSignedPublishVerifiesWithCosign(t *testing.T) {
	p := newPublishEnv(t)
	key, pub := keyPair(t)
	t.Setenv("COSIGN_PASSWORD", keyPassword)
	metadata := filepath.Join(t.TempDir(), "metadata.json")
	code, stdout, stderr := p.build(t, "--sign-key", key, "--metadata-file", metadata, "--progress", "plain")
	if code != 0 {
		t.Fatalf("signed build: exit %d: %s", code, stderr)
	}
	for _, tag := range []string{"latest", "v1", "other"} {
		if out, err := verify(t, pub, p.repo+":"+tag); err != nil {
			t.Errorf("cosign verify %s: %v\n%s", tag, err, out)
		}
	}
	data, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, key, map[string][]byte{"stdout": []byte(stdout), "stderr": []byte(stderr), "metadata file": data}, p.repo)

	tags := testenv.Tags(t, p.repo)
	latest := tags["latest"]
	fallback := p.repo + ":" + registry.ReferrersTag(latest)
	original := testenv.Descriptor(t, fallback)
	tamper(t, p.repo, latest, original)
	if out, err := verify(t, pub, p.repo+":latest"); err == nil || !strings.Contains(out, "failed to verify signature") {
		t.Errorf("cosign verify of a tampered signature: %v, want it rejected:\n%s", err, out)
	}
	retag(t, fallback, nil)
	if out, err := verify(t, pub, p.repo+":latest"); err == nil || !strings.Contains(out, "no signatures found") {
		t.Errorf("cosign verify of an image without signature: %v, want it rejected:\n%s", err, out)
	}
	retag(t, fallback, original)

	p.addr = testenv.NewDaemon(t).Addr
	if code, _, stderr := p.build(t, "--sign-key", key); code != 0 {
		t.Fatalf("republish: exit %d: %s", code, stderr)
	}
	testenv.WantTags(t, p.repo, tags, "a no-change republish moved tags")
	if out, err := verify(t, pub, p.repo+":latest"); err != nil {
		t.Errorf("cosign verify after the republish: %v\n%s", err, out)
	}
}

// TestSigningAPublishedReleaseSignsIt: the same inputs published again
// with a key are not skipped as unchanged: the signer is one of them.
func TestSigningAPublishedReleaseSignsIt(t *testing.T) {
	p := newPublishEnv(t)
	key, pub := keyPair(t)
	t.Setenv("COSIGN_PASSWORD", keyPassword)
	if code, _, stderr := p.build(t); code != 0 {
		t.Fatalf("unsigned build: exit %d: %s", code, stderr)
	}
	if code, _, stderr := p.build(t, "--sign-key", key); code != 0 {
		t.Fatalf("signed republish: exit %d: %s", code, stderr)
	}
	if out, err := verify(t, pub, p.repo+":latest"); err != nil {
		t.Errorf("cosign verify after signing the published release: %v\n%s", err, out)
	}
}

// TestSigningFailurePublishesNothing: a missing key, a wrong password and
// a registry that refuses the signature each fail the publish before any
// tag moves, saying which.
func TestSigningFailurePublishesNothing(t *testing.T) {
	p := newPublishEnv(t)
	key, _ := keyPair(t)
	before := p.published(t)
	tests := []struct {
		name, key, password string
		refuse              bool
		want                []string
	}{
		{"missing key", filepath.Join(t.TempDir(), "absent.key"), keyPassword, false, []string{"signing key", "absent.key", "no such file"}},
		{"wrong password", key, "not-the-password", false, []string{"signing key " + key, "the password in $COSIGN_PASSWORD does not decrypt it"}},
		{"refused signature", key, keyPassword, true, []string{"sign " + p.proxied + "@sha256:", "400 Bad Request", "nothing published"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("COSIGN_PASSWORD", tt.password)
			if tt.refuse {
				p.proxy.FailBody(http.MethodPut, `/manifests/sha256:`, `"artifactType":"`+sign.BundleMediaType+`"`, http.StatusBadRequest, -1)
				t.Cleanup(p.proxy.Heal)
			}
			code, _, stderr := p.build(t, "--sign-key", tt.key, "--build-arg", "STAMP=2")
			if code == 0 {
				t.Fatal("the publish succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, tt.password) {
				t.Errorf("stderr holds the password:\n%s", stderr)
			}
			assertUnchanged(t, p, before)
		})
	}
}

// noSecrets checks that neither the key file's content nor the private
// key nor its password is in any of the outputs, or in any manifest,
// config or layer of the repository.
func noSecrets(t *testing.T, keyPath string, outputs map[string][]byte, repo string) {
	t.Helper()
	keyFile, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyFile)
	der, err := encrypted.Decrypt(block.Bytes, []byte(keyPassword))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{
		"password": []byte(keyPassword), "private key": der,
		"private key (base64)": []byte(base64.StdEncoding.EncodeToString(der)), "private key (hex)": []byte(hex.EncodeToString(der)),
	}
	for i, line := range strings.Split(string(keyFile), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secrets[fmt.Sprintf("key file's line %d", i+1)] = []byte(line)
		}
	}
	blobs := registryContent(t, repo)
	maps.Copy(outputs, blobs)
	for where, data := range outputs {
		for what, secret := range secrets {
			if bytes.Contains(data, secret) {
				t.Errorf("the %s holds the %s", where, what)
			}
		}
	}
	if len(blobs) < 10 {
		t.Errorf("read %d manifests and blobs of %s: the scan found too little to mean anything", len(blobs), repo)
	}
}

// registryContent is every manifest, config and layer (uncompressed) the
// repository's tags reach, by name.
func registryContent(t *testing.T, repo string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(ref name.Reference)
	walk = func(ref name.Reference) {
		desc, err := remote.Get(ref)
		if err != nil {
			t.Fatal(err)
		}
		key := "manifest " + desc.Digest.String()
		if _, seen := out[key]; seen {
			return
		}
		out[key] = desc.Manifest
		var m struct {
			Manifests []ocispecs.Descriptor `json:"manifests"`
			Config    *ocispecs.Descriptor  `json:"config"`
			Layers    []ocispecs.Descriptor `json:"layers"`
		}
		if err := json.Unmarshal(desc.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		for _, child := range m.Manifests {
			walk(r.Digest(child.Digest.String()))
		}
		if m.Config != nil {
			m.Layers = append(m.Layers, *m.Config)
		}
		for _, l := range m.Layers {
			out["blob "+l.Digest.String()] = blob(t, r, l)
		}
	}
	for tag := range testenv.Tags(t, repo) {
		walk(r.Tag(tag))
	}
	return out
}

// blob reads a blob, uncompressed when it is a gzip layer.
func blob(t *testing.T, r name.Repository, d ocispecs.Descriptor) []byte {
	t.Helper()
	l, err := remote.Layer(r.Digest(d.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	read := l.Compressed
	if strings.HasSuffix(d.MediaType, "gzip") || d.MediaType == string(types.DockerLayer) {
		read = l.Uncompressed
	}
	rc, err := read()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tamper points the fallback tag of repo@dgst at a list of one bundle:
// cairn's, with one byte of its signature changed.
func tamper(t *testing.T, repo, dgst string, list *remote.Descriptor) {
	t.Helper()
	reg := testenv.Access(t)
	r, err := reg.Repository(repo)
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(list.Manifest, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("the fallback tag lists %d referrers (%v), want cairn's bundle", len(idx.Manifests), err)
	}
	_, bundle, err := reg.ReadLayer(t.Context(), r, idx.Manifests[0].Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bundle, &doc); err != nil {
		t.Fatal(err)
	}
	sigs := doc["dsseEnvelope"].(map[string]any)["signatures"].([]any)
	sig, err := base64.StdEncoding.DecodeString(sigs[0].(map[string]any)["sig"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0xff
	sigs[0].(map[string]any)["sig"] = base64.StdEncoding.EncodeToString(sig)
	tampered, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	d := testenv.Descriptor(t, repo+"@"+dgst)
	subject := ocispecs.Descriptor{MediaType: string(d.MediaType), Digest: godigest.Digest(d.Digest.String()), Size: d.Size}
	desc, _, err := reg.PutReferrer(t.Context(), r, registry.Referrer{
		Subject: subject, ArtifactType: sign.BundleMediaType, MediaType: sign.BundleMediaType, Data: tampered, Annotations: idx.Manifests[0].Annotations,
	})
	if err != nil {
		t.Fatal(err)
	}
	idx.Manifests = []ocispecs.Descriptor{desc}
	list2, err := reg.PutIndex(t.Context(), r, idx)
	if err != nil {
		t.Fatal(err)
	}
	retag(t, repo+":"+registry.ReferrersTag(dgst), testenv.Descriptor(t, repo+"@"+list2.Digest.String()))
}

// retag points tag at desc, or deletes it when desc is nil.
func retag(t *testing.T, tag string, desc *remote.Descriptor) {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	if desc == nil {
		err = remote.Delete(ref)
	} else {
		err = remote.Tag(ref, desc)
	}
	if err != nil {
		t.Fatal(err)
	}
}
