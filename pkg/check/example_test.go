package check_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/cairn-build/cairn/pkg/check"
)

// layer is a layer holding files of the given sizes.
func layer(files map[string]int) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"app/big", "app/.wh.big", "app/small"} {
		size, ok := files[name]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(size)}); err != nil {
			log.Fatal(err)
		}
		if _, err := tw.Write(make([]byte, size)); err != nil {
			log.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		log.Fatal(err)
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		log.Fatal(err)
	}
	return l
}

// A file added in one layer and deleted in the next is wasted: its bytes
// stay in the layer that added it (dive weighs the deletion itself as 0).
func ExampleAnalyze() {
	img, err := mutate.AppendLayers(empty.Image,
		layer(map[string]int{"app/small": 100}),
		layer(map[string]int{"app/big": 5000}),
		layer(map[string]int{"app/.wh.big": 0}),
	)
	if err != nil {
		log.Fatal(err)
	}
	eff, err := check.Analyze(img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("score %.3f, wasted %d bytes, %.0f%% of the user layers\n", eff.Score, eff.WastedBytes, eff.UserWastedPercent*100)
	for _, in := range eff.Inefficiencies {
		fmt.Println(in.Path, in.Count, in.CumulativeSize)
	}
	// Output:
	// score 0.020, wasted 5000 bytes, 100% of the user layers
	// /app/big 2 5000
}

func ExampleImage() {
	img, err := mutate.AppendLayers(empty.Image, layer(map[string]int{"app/small": 100}))
	if err != nil {
		log.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{User: "1000:1000", Entrypoint: []string{"/app/small"}})
	if err != nil {
		log.Fatal(err)
	}
	spec := check.Spec{
		Files:    []check.FileCheck{{Path: "/app/small", Permissions: "0644"}, {Path: "/app/big"}},
		Metadata: &check.MetadataCheck{NotRoot: true, Entrypoint: []string{"/app/small"}},
	}
	results, eff, err := check.Image(img, spec)
	if err != nil {
		log.Fatal(err)
	}
	if err := check.WriteReport(os.Stdout, "app", results, eff); err != nil {
		log.Fatal(err)
	}
	// Output:
	// checks of app: 3 passed, 1 failed
	// PASS  file      /app/small  exists: -rw-r--r-- 0:0, 100 bytes
	// FAIL  file      /app/big    does not exist
	// PASS  metadata  entrypoint  entrypoint ["/app/small"]
	// PASS  metadata  notRoot     user "1000:1000" is not root
}

func ExampleEvaluateCommand() {
	c := check.CommandCheck{Command: "app", Args: []string{"--version"}, ExpectedOutput: []string{`^app v1\.`}}
	r := check.EvaluateCommand(c, "app v2.0.0\n", "", 0)
	fmt.Println(r.Passed, r.Message)
	// Output:
	// false stdout does not match "^app v1\\."; stdout: "app v2.0.0\n"
}
