package build

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/registry"
)

// TestStageOptionsReachTheSolve: Pull sets the frontend's resolve mode and
// the image annotations go to the image exporter, for the stage named only.
func TestStageOptionsReachTheSolve(t *testing.T) {
	reg, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Registry: reg, Stages: map[string]StageOptions{
		"deps": {Pull: true, ImageAnnotations: map[string]string{"annotation.k": "v"}},
	}}
	for _, tt := range []struct {
		stage, mode, annotation string
	}{{"deps", "pull", "v"}, {"app", "", ""}} {
		s := &stageSolve{stage: planner.StagePlan{Name: tt.stage, Index: 1}, opts: opts}
		opt := s.solveOpt(nil, false, nil, nil)
		if got := opt.FrontendAttrs["image-resolve-mode"]; got != tt.mode {
			t.Errorf("%s: image-resolve-mode %q, want %q", tt.stage, got, tt.mode)
		}
		if got := opt.Exports[0].Attrs["annotation.k"]; got != tt.annotation {
			t.Errorf("%s: export annotation %q, want %q", tt.stage, got, tt.annotation)
		}
	}
	// A target's own --annotation beats the base record; the caller's maps
	// are left as they were.
	opts.Targets = map[string]TargetOptions{"deps": {Annotations: map[string]string{"annotation.k": "user"}}}
	s := &stageSolve{stage: planner.StagePlan{Name: "deps", Index: 1}, opts: opts}
	e := s.annotate(s.imageExport([]string{"127.0.0.1:5000/x:1"}, []string{"127.0.0.1:5000/x"}))
	if e.Attrs["annotation.k"] != "user" || e.Attrs["push"] != "true" {
		t.Errorf("export attrs %v, want the target's annotation over the base record's", e.Attrs)
	}
	if len(opts.Stages["deps"].ImageAnnotations) != 1 || opts.Stages["deps"].ImageAnnotations["annotation.k"] != "v" {
		t.Errorf("the caller's annotations changed: %v", opts.Stages["deps"].ImageAnnotations)
	}
}

func TestAnnotateLayout(t *testing.T) {
	dir := t.TempDir()
	img, err := random.Image(32, 1)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.Annotations(img, map[string]string{"kept": "yes", "k": "old"}).(v1.Image)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	got, err := annotateLayout(dir, d.String(), map[string]string{"k": "new"})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(got)
	annotated, err := p.Image(h)
	if err != nil {
		t.Fatalf("annotated image not in the layout: %v", err)
	}
	m, err := annotated.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if got == d.String() || m.Annotations["k"] != "new" || m.Annotations["kept"] != "yes" {
		t.Errorf("annotated %s: %v; want k=new beside kept=yes, a new digest", got, m.Annotations)
	}
	orig, _ := img.Manifest()
	if m.Config.Digest != orig.Config.Digest || len(m.Layers) != 1 || m.Layers[0].Digest != orig.Layers[0].Digest {
		t.Errorf("annotating changed the config or layers: %+v", m)
	}
}
