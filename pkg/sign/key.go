package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
)

// DefaultPasswordEnv is the variable a key's password is read from, as
// cosign reads it.
const DefaultPasswordEnv = "COSIGN_PASSWORD"

// The reasons a key does not load, for callers that tell them apart.
var (
	// ErrNoPassword is an encrypted key whose password variable is not set
	// (and whose password is not empty).
	ErrNoPassword = errors.New("the key is encrypted and its password variable is not set")
	// ErrBadPassword is an encrypted key the password does not decrypt.
	ErrBadPassword = errors.New("the password does not decrypt the key")
)

// KeyError is a signing key that could not be loaded. It names the file
// and the password variable, never their content.
type KeyError struct {
	Path        string
	PasswordEnv string
	Err         error
}

func (e *KeyError) Error() string {
	switch {
	case errors.Is(e.Err, ErrNoPassword):
		return fmt.Sprintf("signing key %s is encrypted and $%s is not set: set it to the key's password", e.Path, e.PasswordEnv)
	case errors.Is(e.Err, ErrBadPassword):
		return fmt.Sprintf("signing key %s: the password in $%s does not decrypt it", e.Path, e.PasswordEnv)
	}
	return fmt.Sprintf("signing key %s: %v", e.Path, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// Key signs with a private key: ECDSA, RSA or Ed25519, as cosign's
// generate-key-pair writes it (encrypted) or as plain PEM.
type Key struct {
	sv      signature.SignerVerifier
	details signature.AlgorithmDetails
	pemPub  string
	hint    string // base64 of the SHA-256 of the public key's DER, as cosign's bundles name it
}

var _ LegacySigner = (*Key)(nil)

// LoadKey reads the private key at path: PEM (PKCS#8, EC, PKCS#1, or
// encrypted PKCS#8) or cosign's encrypted format, whose password is the
// value of the variable passwordEnv (DefaultPasswordEnv when ""), looked
// up with lookupEnv (os.LookupEnv when nil). An unset variable is the
// empty password, as cosign takes it. The error is a *KeyError.
func LoadKey(path, passwordEnv string, lookupEnv func(string) (string, bool)) (*Key, error) {
	if passwordEnv == "" {
		passwordEnv = DefaultPasswordEnv
	}
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	fail := func(err error) (*Key, error) { return nil, &KeyError{Path: path, PasswordEnv: passwordEnv, Err: err} }
	data, err := os.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	password, set := lookupEnv(passwordEnv)
	priv, err := parseKey(data, []byte(password))
	if errors.Is(err, ErrBadPassword) && !set {
		err = ErrNoPassword
	}
	if err != nil {
		return fail(err)
	}
	k, err := newKey(priv)
	if err != nil {
		return fail(err)
	}
	return k, nil
}

// parseKey decodes a PEM private key, decrypting it with password.
func parseKey(data, password []byte) (crypto.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	switch {
	case block.Type == "ENCRYPTED SIGSTORE PRIVATE KEY" || block.Type == "ENCRYPTED COSIGN PRIVATE KEY":
		// cosign's format: scrypt and NaCl secretbox over PKCS#8 (what
		// cosign's LoadPrivateKey decrypts).
		der, err := encrypted.Decrypt(block.Bytes, password)
		if err != nil {
			return nil, ErrBadPassword
		}
		return x509.ParsePKCS8PrivateKey(der)
	case block.Type == "ENCRYPTED PRIVATE KEY":
		priv, err := cryptoutils.UnmarshalPEMToPrivateKey(data, func(bool) ([]byte, error) { return password, nil })
		if err != nil {
			return nil, ErrBadPassword
		}
		return priv, nil
	}
	return cryptoutils.UnmarshalPEMToPrivateKey(data, nil)
}

func newKey(priv crypto.PrivateKey) (*Key, error) {
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key %T", priv)
	}
	// Ed25519 signs the pre-hashed message, as cosign does by default.
	details, err := signature.GetDefaultAlgorithmDetails(signer.Public(), sigopts.WithED25519ph())
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadSignerVerifierFromAlgorithmDetails(priv, details, sigopts.WithED25519ph())
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	pemPub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return &Key{sv: sv, details: details, pemPub: pemPub, hint: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// PublicKey is the key's public half, PEM-encoded: what cosign verify --key takes.
func (k *Key) PublicKey() string { return k.pemPub }

// Sign signs digest: a DSSE envelope of the in-toto statement cosign
// signs (its subject the digest, cosign's sign predicate), in a bundle
// whose verification material is the key's hint. No transparency log and
// no timestamp authority: cosign verifies it with --insecure-ignore-tlog.
func (k *Key) Sign(ctx context.Context, digest string) ([]byte, error) {
	algo, hex, err := splitDigest(digest)
	if err != nil {
		return nil, err
	}
	statement, err := protojson.Marshal(&intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Digest: map[string]string{algo: hex}}},
		PredicateType: PredicateType,
		Predicate:     &structpb.Struct{},
	})
	if err != nil {
		return nil, err
	}
	b, err := sgsign.Bundle(&sgsign.DSSEData{Data: statement, PayloadType: statementType}, keypair{k}, sgsign.BundleOptions{Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", digest, err)
	}
	return protojson.Marshal(b)
}

// Signed reports whether bundle is this key's signature of digest with
// cosign's sign predicate.
func (k *Key) Signed(bundle []byte, digest string) bool {
	algo, hexDigest, err := splitDigest(digest)
	if err != nil {
		return false
	}
	want, err := hex.DecodeString(hexDigest)
	if err != nil {
		return false
	}
	var pb protobundle.Bundle
	if protojson.Unmarshal(bundle, &pb) != nil {
		return false
	}
	b, err := sgbundle.NewBundle(&pb)
	if err != nil {
		return false
	}
	trusted := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(k.sv, time.Time{}, time.Time{}), nil
	})
	v, err := verify.NewVerifier(trusted, verify.WithNoObserverTimestamps())
	if err != nil {
		return false
	}
	res, err := v.Verify(b, verify.NewPolicy(verify.WithArtifactDigest(algo, want), verify.WithKey()))
	return err == nil && res.Statement != nil && res.Statement.GetPredicateType() == PredicateType
}

// SignPayload signs payload as cosign's legacy signatures are signed.
func (k *Key) SignPayload(_ context.Context, payload []byte) ([]byte, error) {
	return k.sv.SignMessage(bytes.NewReader(payload))
}

// SignedPayload reports whether sig is this key's signature of payload,
// and payload names digest.
func (k *Key) SignedPayload(payload, sig []byte, digest string) bool {
	return payloadDigest(payload) == digest && k.sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)) == nil
}

// keypair lends a Key to sigstore-go's signing (its sign.Keypair).
type keypair struct{ k *Key }

func (p keypair) GetHashAlgorithm() protocommon.HashAlgorithm { return p.k.details.GetProtoHashType() }
func (p keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return p.k.details.GetSignatureAlgorithm()
}
func (p keypair) GetHint() []byte { return []byte(p.k.hint) }
func (p keypair) GetKeyAlgorithm() string {
	return map[signature.PublicKeyType]string{signature.ECDSA: "ECDSA", signature.RSA: "RSA", signature.ED25519: "ED25519"}[p.k.details.GetKeyType()]
}
func (p keypair) GetPublicKey() crypto.PublicKey   { pub, _ := p.k.sv.PublicKey(); return pub }
func (p keypair) GetPublicKeyPem() (string, error) { return p.k.pemPub, nil }

// SignData signs data (sigstore-go hashes nothing itself for a DSSE
// envelope): the signature, and the digest signed.
func (p keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sig, err := p.k.sv.SignMessage(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	h := p.k.details.GetHashType()
	if h == crypto.Hash(0) {
		return sig, data, nil
	}
	hasher := h.New()
	hasher.Write(data)
	return sig, hasher.Sum(nil), nil
}
