package check

import (
	"fmt"
	"testing"
)

// benchLayers builds n layers of files entries each: every layer adds new
// files in its own directory, rewrites a tenth of layer 0's and deletes a
// few, so the analysis has repeats and whiteouts to size.
func benchLayers(n, files int) [][]tf {
	layers := make([][]tf, n)
	for i := range layers {
		dirName := fmt.Sprintf("layer%02d/", i)
		l := []tf{dir(dirName)}
		for j := 0; j < files; j++ {
			switch {
			case i > 0 && j%10 == 0:
				l = append(l, file(fmt.Sprintf("layer00/f%03d", j), 2048))
			case i > 1 && j%50 == 1:
				l = append(l, whiteout(fmt.Sprintf("layer%02d/.wh.f%03d", i-1, j)))
			default:
				l = append(l, file(fmt.Sprintf("%sf%03d", dirName, j), 1024+j))
			}
		}
		layers[i] = l
	}
	return layers
}

func BenchmarkAnalyze(b *testing.B) {
	img := imageOf(b, benchLayers(20, 500)...)
	eff, err := Analyze(img) // warm: mutate computes the manifest once
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(eff.SizeBytes)
	b.ReportMetric(float64(len(eff.Inefficiencies)), "inefficiencies")
	b.ResetTimer()
	for b.Loop() {
		if _, err := Analyze(img); err != nil {
			b.Fatal(err)
		}
	}
}
