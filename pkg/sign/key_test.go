package sign_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/cairn-build/cairn/pkg/sign"
)

const (
	digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	other  = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

// writeKey writes data to a file in a test directory.
func writeKey(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cosignKey is a key in cosign's encrypted format, as generate-key-pair
// writes it, under password.
func cosignKey(t testing.TB, password string) []byte {
	t.Helper()
	priv, _, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte(password)))
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func pemOf(t *testing.T, typ string, der []byte, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// TestLoadKey: every key format cosign and openssl write loads, and signs
// what it verifies.
func TestLoadKey(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ecDER, ecErr := x509.MarshalECPrivateKey(ec)
	ec8, ec8Err := x509.MarshalPKCS8PrivateKey(ec)
	ed8, ed8Err := x509.MarshalPKCS8PrivateKey(ed)
	tests := []struct {
		name string
		key  []byte
		env  map[string]string
	}{
		{"cosign", cosignKey(t, "s3cret"), map[string]string{"COSIGN_PASSWORD": "s3cret"}},
		{"cosign-empty-password-unset", cosignKey(t, ""), nil},
		{"cosign-other-variable", cosignKey(t, "pw"), map[string]string{"KEY_PASSWORD": "pw"}},
		{"pkcs8-ecdsa", pemOf(t, "PRIVATE KEY", ec8, ec8Err), nil},
		{"sec1-ecdsa", pemOf(t, "EC PRIVATE KEY", ecDER, ecErr), nil},
		{"pkcs1-rsa", pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil), nil},
		{"pkcs8-ed25519", pemOf(t, "PRIVATE KEY", ed8, ed8Err), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			passwordEnv := ""
			if _, ok := tt.env["KEY_PASSWORD"]; ok {
				passwordEnv = "KEY_PASSWORD"
			}
			k, err := sign.LoadKey(writeKey(t, tt.key), passwordEnv, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(k.PublicKey(), "-----BEGIN PUBLIC KEY-----") {
				t.Errorf("public key:\n%s", k.PublicKey())
			}
			bundle, err := k.Sign(t.Context(), digest)
			if err != nil {
				t.Fatal(err)
			}
			if !k.Signed(bundle, digest) {
				t.Error("the key does not verify its own signature")
			}
			if k.Signed(bundle, other) {
				t.Error("the signature of one digest verifies for another")
			}
		})
	}
}

// TestLoadKeyErrors: each way a key fails to load says which, names the
// file and the variable, and never holds the password.
func TestLoadKeyErrors(t *testing.T) {
	const password = "correct horse"
	tests := []struct {
		name   string
		key    []byte // nil: no file
		env    map[string]string
		is     error
		reason string
	}{
		{"missing", nil, nil, os.ErrNotExist, "no such file"},
		{"not-pem", []byte("not a key\n"), nil, nil, "not a PEM private key"},
		{"public-key", pemOf(t, "PUBLIC KEY", []byte{1}, nil), nil, nil, "PEM"},
		{"wrong-password", cosignKey(t, password), map[string]string{"COSIGN_PASSWORD": "xyzzy"}, sign.ErrBadPassword, "the password in $COSIGN_PASSWORD does not decrypt it"},
		{"unset-password", cosignKey(t, password), nil, sign.ErrNoPassword, "is encrypted and $COSIGN_PASSWORD is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "absent.key")
			if tt.key != nil {
				path = writeKey(t, tt.key)
			}
			_, err := sign.LoadKey(path, "", env(tt.env))
			var ke *sign.KeyError
			if !errors.As(err, &ke) || ke.Path != path {
				t.Fatalf("err = %v, want a *KeyError for %s", err, path)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %q, want it to name %s and say %q", err, path, tt.reason)
			}
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "xyzzy") {
				t.Errorf("the error holds the password: %q", err)
			}
		})
	}
}

// TestSignedRejects: a bundle altered anywhere, or signed by another key,
// is not taken for the key's signature.
func TestSignedRejects(t *testing.T) {
	k := load(t)
	bundle, err := k.Sign(t.Context(), digest)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bundle, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["mediaType"] != sign.BundleMediaType {
		t.Errorf("bundle media type %v, want %s", doc["mediaType"], sign.BundleMediaType)
	}
	envelope := doc["dsseEnvelope"].(map[string]any)
	tampered := strings.Replace(string(bundle), envelope["payload"].(string), envelope["payload"].(string)[:8]+"AAAA"+envelope["payload"].(string)[12:], 1)
	if tampered == string(bundle) {
		t.Fatal("the test did not alter the payload")
	}
	if k.Signed([]byte(tampered), digest) {
		t.Error("a bundle with an altered payload verifies")
	}
	if load(t).Signed(bundle, digest) {
		t.Error("another key verifies the signature")
	}
	if k.Signed([]byte("{}"), digest) || k.Signed([]byte("not json"), digest) {
		t.Error("a bundle without a signature verifies")
	}
}

// TestLegacyPayload: the legacy signature signs cosign's simple signing
// payload, which names the digest.
func TestLegacyPayload(t *testing.T) {
	k := load(t)
	payload, err := sign.Payload("registry.example.com/app", digest)
	if err != nil {
		t.Fatal(err)
	}
	var sci struct {
		Critical struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			} `json:"identity"`
			Image struct {
				DockerManifestDigest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
	}
	if err := json.Unmarshal(payload, &sci); err != nil {
		t.Fatal(err)
	}
	if sci.Critical.Image.DockerManifestDigest != digest || sci.Critical.Identity.DockerReference != "registry.example.com/app" || sci.Critical.Type != "cosign container image signature" {
		t.Errorf("payload %s", payload)
	}
	sig, err := k.SignPayload(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if !k.SignedPayload(payload, sig, digest) {
		t.Error("the key does not verify its legacy signature")
	}
	if k.SignedPayload(payload, sig, other) || load(t).SignedPayload(payload, sig, digest) {
		t.Error("a legacy signature verifies for another digest or key")
	}
}

func load(t *testing.T) *sign.Key {
	t.Helper()
	k, err := sign.LoadKey(writeKey(t, cosignKey(t, "pw")), "", env(map[string]string{"COSIGN_PASSWORD": "pw"}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// BenchmarkLoadKey: reading a key in cosign's format is its scrypt
// derivation, paid once a publish.
func BenchmarkLoadKey(b *testing.B) {
	path := writeKey(b, cosignKey(b, "pw"))
	for b.Loop() {
		if _, err := sign.LoadKey(path, "", env(map[string]string{"COSIGN_PASSWORD": "pw"})); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignAndCheck: one image's bundle, and the check a republish
// makes of the bundle there.
func BenchmarkSignAndCheck(b *testing.B) {
	k, err := sign.LoadKey(writeKey(b, cosignKey(b, "pw")), "", env(map[string]string{"COSIGN_PASSWORD": "pw"}))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		bundle, err := k.Sign(context.Background(), digest)
		if err != nil || !k.Signed(bundle, digest) {
			b.Fatal("sign and check failed", err)
		}
	}
}
