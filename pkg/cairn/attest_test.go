package cairn_test

import (
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
)

// attested has a cache-only stage under the target; no RUN, so an arm64
// build needs no emulator on this host.
const attested = `FROM scratch AS base
COPY a.txt /a
FROM base AS app
COPY b.txt /b
`

// republished builds the same image from a fresh daemon (a COPY-only
// stage FROM scratch does not: its inline cache differs between the first
// build and the next, attestations or not).
const republished = "FROM busybox:1.36 AS base\nRUN echo base > /base\nFROM base AS app\nCOPY b.txt /b\n"

const (
	slsaPrefix = "https://slsa.dev/provenance/"
	spdx       = "https://spdx.dev/Document"
)

// loadAttested loads the project of dockerfile with the target app tagged
// v1 and the attestation flags fl.
func loadAttested(t *testing.T, dockerfile, repo string, fl config.AttestFlags, platforms ...string) *cairn.Project {
	t.Helper()
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": dockerfile, "a.txt": "a\n", "b.txt": "b\n"})
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Overrides: config.Overrides{
			Dockerfile: filepath.Join(dir, "Dockerfile"), Context: dir, Repository: repo,
			Targets: []string{"app"}, Tags: []string{"v1"}, Platforms: platforms, Attest: fl,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// attestation is one in-toto statement of an index, read from the registry.
type attestation struct {
	subject, predicateType string
	content                []byte
}

// readIndex reads ref's index: its images' digests and its attestations.
// An image manifest under ref has no attestations.
func readIndex(t *testing.T, ref string) (images []string, atts []attestation) {
	t.Helper()
	desc := testenv.Descriptor(t, ref)
	if !desc.MediaType.IsIndex() {
		return []string{desc.Digest.String()}, nil
	}
	idx, im := testenv.Index(t, ref)
	for _, m := range im.Manifests {
		if m.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
			images = append(images, m.Digest.String())
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		atts = append(atts, attestationsOf(t, img, m.Annotations["vnd.docker.reference.digest"])...)
	}
	return images, atts
}

// sameImages reports whether two refs hold the same images, their
// attestations aside.
func sameImages(t *testing.T, a, b string) bool {
	t.Helper()
	ia, _ := readIndex(t, a)
	ib, _ := readIndex(t, b)
	return slices.Equal(ia, ib)
}

func attestationsOf(t *testing.T, img v1.Image, subject string) []attestation {
	t.Helper()
	manifest, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []attestation
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, attestation{subject: subject, predicateType: manifest.Layers[i].Annotations["in-toto.io/predicate-type"], content: data})
	}
	return out
}

func predicateTypes(atts []attestation) []string {
	var types []string
	for _, a := range atts {
		types = append(types, a.predicateType)
	}
	slices.Sort(types)
	return types
}

// TestPublishAttachesProvenance: a publish gives the target's image SLSA
// provenance by default, and only the target's: the cache-only stage's
// image stays a bare manifest. The report lists it; republished unchanged
// from a fresh daemon, no tag moves though the provenance is new.
func TestPublishAttachesProvenance(t *testing.T) {
	repo := testenv.Repo(t)
	p := loadAttested(t, republished, repo, config.AttestFlags{})
	report, err := run(t, p, cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	images, atts := readIndex(t, repo+":v1")
	if len(images) != 1 || len(atts) != 1 || !strings.HasPrefix(atts[0].predicateType, slsaPrefix) || atts[0].subject != images[0] {
		t.Fatalf("v1 holds images %v and attestations %v, want one image with one SLSA provenance", images, predicateTypes(atts))
	}
	if _, baseAtts := readIndex(t, repo+":cache-base"); len(baseAtts) > 0 {
		t.Errorf("the cache-only stage's image has attestations %v", predicateTypes(baseAtts))
	}
	target := report.Targets[0]
	if len(target.Attestations) != 1 || target.Attestations[0].Type != "provenance" || target.Attestations[0].Subject != images[0] {
		t.Errorf("report lists attestations %+v, want the provenance of %s", target.Attestations, images[0])
	}
	data, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, data)

	before := testenv.Tags(t, repo)
	again, err := run(t, loadAttested(t, republished, repo, config.AttestFlags{}), cairn.RunOptions{Push: true, NoSkip: true}) // built again
	if err != nil {
		t.Fatal(err)
	}
	testenv.WantTags(t, repo, before, "an unchanged republish moved tags")
	for _, tag := range again.Tags {
		if tag.State != push.Unchanged {
			t.Errorf("%s: %s, want unchanged", tag.Tag, tag.State)
		}
	}
	// The provenance is the new run's, so the staged index is new: the
	// commit kept the published one for it.
	for _, st := range again.Stages {
		if st.Name == "app" && st.Digest == before["v1"] {
			t.Errorf("the republish staged the published index %s again: the rule that keeps it went untested", st.Digest)
		}
	}
	if again.Targets[0].Digest != before["v1"] {
		t.Errorf("the report gives %s for the target, want the published %s", again.Targets[0].Digest, before["v1"])
	}
}

// TestAttestationFlags: --sbom adds an SPDX SBOM that the seeded scanner
// wrote, --provenance=false and BUILDX_NO_DEFAULT_ATTESTATIONS leave the
// provenance out, and each platform of a two-platform image gets its own.
func TestAttestationFlags(t *testing.T) {
	withBusybox := "FROM busybox:1.36 AS base\nCOPY a.txt /a\nFROM base AS app\nCOPY b.txt /b\n"
	tests := []struct {
		name       string
		dockerfile string
		flags      config.AttestFlags
		noDefault  bool
		platforms  []string
		want       []string // predicate types, per image
	}{
		{"sbom", withBusybox, config.AttestFlags{SBOM: "true"}, false, nil, []string{slsaPrefix, spdx}},
		{"attest-sbom-max", withBusybox, config.AttestFlags{Attest: []string{"type=sbom", "type=provenance,mode=max"}}, false, nil, []string{slsaPrefix, spdx}},
		{"provenance-false", attested, config.AttestFlags{Provenance: "false"}, false, nil, nil},
		{"no-default", attested, config.AttestFlags{}, true, nil, nil},
		{"two-platforms", attested, config.AttestFlags{}, false, []string{"linux/amd64", "linux/arm64"}, []string{slsaPrefix}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.noDefault {
				t.Setenv(config.NoDefaultAttestations, "1")
			}
			repo := testenv.Repo(t)
			if _, err := run(t, loadAttested(t, tt.dockerfile, repo, tt.flags, tt.platforms...), cairn.RunOptions{Push: true}); err != nil {
				t.Fatal(err)
			}
			images, atts := readIndex(t, repo+":v1")
			if want := max(1, len(tt.platforms)); len(images) != want {
				t.Fatalf("v1 holds %d images, want %d", len(images), want)
			}
			for _, img := range images {
				var got []string
				for _, a := range atts {
					if a.subject == img {
						got = append(got, trimVersion(a.predicateType))
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) {
					t.Errorf("image %s has attestations %v, want %v", img, got, tt.want)
				}
			}
			for _, a := range atts {
				if a.predicateType == spdx && !slices.Contains(spdxPackages(t, a.content), "busybox") {
					t.Errorf("the SBOM names no busybox:\n%s", a.content)
				}
			}
		})
	}
}

// spdxPackages are the names of the packages of an in-toto statement's SPDX document.
func spdxPackages(t *testing.T, statement []byte) []string {
	t.Helper()
	var st struct {
		Predicate struct {
			Packages []struct {
				Name string `json:"name"`
			} `json:"packages"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		t.Fatalf("decode the SBOM statement: %v", err)
	}
	var names []string
	for _, p := range st.Predicate.Packages {
		names = append(names, p.Name)
	}
	return names
}

// trimVersion drops the version of an SLSA predicate type.
func trimVersion(predicate string) string {
	if strings.HasPrefix(predicate, slsaPrefix) {
		return slsaPrefix
	}
	return predicate
}

// TestMissingGeneratorPublishesNothing: an SBOM generator image that is
// not there fails the build before any tag moves, naming the image.
func TestMissingGeneratorPublishesNothing(t *testing.T) {
	repo := testenv.Repo(t)
	generator := repo + "-scanner:missing"
	_, err := run(t, loadAttested(t, attested, repo, config.AttestFlags{SBOM: "generator=" + generator}), cairn.RunOptions{Push: true})
	if !errors.Is(err, cairn.ErrNothingPublished) || !strings.Contains(err.Error(), generator) {
		t.Fatalf("err = %v, want ErrNothingPublished naming %s", err, generator)
	}
	if tags := testenv.Tags(t, repo); len(tags) > 0 {
		t.Errorf("tags after the failed publish: %v", tags)
	}
}
