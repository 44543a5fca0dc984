package check

import (
	"math"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const mb = 1_000_000

// base is layer 0 of the efficiency images: /bin/sh, 100 bytes.
func base() []tf { return []tf{dir("bin/"), file("bin/sh", 100)} }

func chmod(f tf) tf { f.mode = 0o600; return f }

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]tf
		want   Efficiency
	}{{
		// Create one, chmod -R, create two, chmod -R, delete one: a layer each.
		name: "one step per layer",
		layers: [][]tf{
			base(),
			{dir("data/"), file("data/one", mb)},
			{dir("data/"), chmod(file("data/one", mb))},
			{dir("data/"), file("data/two", mb)},
			{dir("data/"), chmod(file("data/one", mb)), chmod(file("data/two", mb))},
			{dir("data/"), whiteout("data/.wh.one")},
		},
		want: Efficiency{
			// Each path's smallest size over every size it was seen with;
			// the whiteout of the file weighs 0, as in dive:
			// (100 + 0 + 1M) / (100 + 3M + 2M).
			Score:         1_000_100.0 / 5_000_100.0,
			SizeBytes:     5_000_100,
			UserSizeBytes: 5_000_000,
			WastedBytes:   5_000_000,
			// 5M wasted over the 5M of layers 1-5.
			UserWastedPercent: 1,
			Inefficiencies: []Inefficiency{
				{Path: "/data/one", Count: 4, CumulativeSize: 3 * mb},
				{Path: "/data/two", Count: 2, CumulativeSize: 2 * mb},
			},
		},
	}, {
		name:   "the same steps in one layer",
		layers: [][]tf{base(), {dir("data/"), chmod(file("data/two", mb))}},
		want: Efficiency{
			Score: 1, SizeBytes: mb + 100, UserSizeBytes: mb,
			Inefficiencies: []Inefficiency{},
		},
	}, {
		// A directory's whiteout weighs what it hid, under the directory's
		// own path, which no earlier layer had as a leaf: not waste.
		name: "deleted directory",
		layers: [][]tf{
			base(),
			{dir("data/"), file("data/x", 100), file("data/y", 50)},
			{whiteout(".wh.data")},
		},
		want: Efficiency{
			Score: 1, SizeBytes: 250, UserSizeBytes: 150,
			Inefficiencies: []Inefficiency{},
		},
	}, {
		// The whiteout of a file weighs 0 (dive sizes only deleted
		// directories), the re-added file its own size.
		name: "deleted and re-added file",
		layers: [][]tf{
			base(),
			{file("f", 10)},
			{whiteout(".wh.f")},
			{file("f", 5)},
		},
		want: Efficiency{
			Score:     100.0 / (100 + 15),
			SizeBytes: 115, UserSizeBytes: 15, WastedBytes: 15,
			UserWastedPercent: 1,
			Inefficiencies:    []Inefficiency{{Path: "/f", Count: 3, CumulativeSize: 15}},
		},
	}, {
		// dive drops the opaque marker; it still hides the lower a and b,
		// so re-adding a and deleting it again counts a 10 + 7 + 0.
		name: "opaque directory",
		layers: [][]tf{
			{dir("data/"), file("data/a", 10), file("data/b", 20)},
			{dir("data/"), whiteout("data/.wh..wh..opq"), file("data/c", 5)},
			{file("data/a", 7)},
			{whiteout("data/.wh.a")},
		},
		want: Efficiency{
			// paths: a 10+7+0 (min 0), b 20, c 5.
			Score:     (0.0 + 20 + 5) / (17 + 20 + 5),
			SizeBytes: 42, UserSizeBytes: 12, WastedBytes: 17,
			UserWastedPercent: 17.0 / 12,
			Inefficiencies:    []Inefficiency{{Path: "/data/a", Count: 3, CumulativeSize: 17}},
		},
	}, {
		name:   "whiteout of nothing weighs nothing",
		layers: [][]tf{base(), {whiteout(".wh.nothing")}, {file("nothing", 3)}},
		want: Efficiency{
			Score: 100.0 / 103, SizeBytes: 103, UserSizeBytes: 3, WastedBytes: 3,
			UserWastedPercent: 1,
			Inefficiencies:    []Inefficiency{{Path: "/nothing", Count: 2, CumulativeSize: 3}},
		},
	}, {
		name:   "empty image",
		layers: nil,
		want:   Efficiency{Score: 1, Inefficiencies: []Inefficiency{}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Analyze(imageOf(t, tt.layers...))
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Score, tt.want.Score) || !near(got.UserWastedPercent, tt.want.UserWastedPercent) {
				t.Errorf("score %v, user wasted %v; want %v, %v", got.Score, got.UserWastedPercent, tt.want.Score, tt.want.UserWastedPercent)
			}
			got.Score, got.UserWastedPercent = tt.want.Score, tt.want.UserWastedPercent
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestEfficiencyGate(t *testing.T) {
	perLayer := imageOf(t, base(),
		[]tf{dir("data/"), file("data/one", mb)},
		[]tf{dir("data/"), chmod(file("data/one", mb))},
		[]tf{dir("data/"), file("data/two", mb)},
		[]tf{dir("data/"), chmod(file("data/one", mb)), chmod(file("data/two", mb))},
		[]tf{dir("data/"), whiteout("data/.wh.one")},
	)
	oneLayer := imageOf(t, base(), []tf{dir("data/"), chmod(file("data/two", mb))})
	tests := []struct {
		name  string
		img   int // 0: perLayer, 1: oneLayer
		check EfficiencyCheck
		want  []bool
	}{
		{"wasted over 1MB", 0, EfficiencyCheck{HighestWastedBytes: "1MB"}, []bool{false}},
		{"wasted under 6MiB", 0, EfficiencyCheck{HighestWastedBytes: "6MiB"}, []bool{true}},
		{"one layer under 1MB", 1, EfficiencyCheck{HighestWastedBytes: "1MB"}, []bool{true}},
		{"score", 0, EfficiencyCheck{LowestEfficiency: 0.21}, []bool{false}},
		{"score passes", 0, EfficiencyCheck{LowestEfficiency: 0.2}, []bool{true}},
		{"user wasted", 0, EfficiencyCheck{HighestUserWastedPercent: 0.9}, []bool{false}},
		{"all three on one layer", 1, EfficiencyCheck{LowestEfficiency: 0.99, HighestWastedBytes: "0", HighestUserWastedPercent: 0.01}, []bool{true, true, true}},
		{"nothing set", 0, EfficiencyCheck{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := []v1.Image{perLayer, oneLayer}[tt.img]
			results, eff, err := Image(img, Spec{Efficiency: &tt.check})
			if err != nil {
				t.Fatal(err)
			}
			if eff == nil {
				t.Fatal("no Efficiency")
			}
			var got []bool
			for _, r := range results {
				got = append(got, r.Passed)
				t.Log(r.Name, r.Message)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("passed %v, want %v", got, tt.want)
			}
		})
	}
}

func TestImageWithoutEfficiency(t *testing.T) {
	_, eff, err := Image(imageOf(t, base()), Spec{})
	if err != nil || eff != nil {
		t.Errorf("Image() = %v, %v; want nil Efficiency, no error", eff, err)
	}
}
