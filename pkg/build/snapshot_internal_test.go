package build

import "testing"

// TestWholeBecause: the compaction rule. A delta is written on a
// snapshot of fewer than maxSnapshotLayers layers while its delta layers,
// the new one estimated at the snapshot's compression ratio, hold at most
// half its base layer's bytes.
func TestWholeBecause(t *testing.T) {
	tests := []struct {
		name   string
		plan   snapshotPlan
		layers []int64
		whole  bool
	}{
		{"a small delta on one layer", snapshotPlan{was: 1000, delta: 10, changes: 1}, []int64{500}, false},
		{"a delta of over half the files", snapshotPlan{was: 1000, delta: 600, changes: 1}, []int64{500}, true},
		{"nine layers: the tenth may be a delta", snapshotPlan{was: 1000, delta: 1, changes: 1}, []int64{900, 10, 10, 10, 10, 10, 10, 10, 10}, false},
		{"ten layers: an eleventh would exceed the cap", snapshotPlan{was: 1000, delta: 1, changes: 1}, []int64{900, 10, 10, 10, 10, 10, 10, 10, 10, 10}, true},
		{"the deltas already stacked near half the base", snapshotPlan{was: 1000, delta: 50, changes: 1}, []int64{500, 150, 100}, true},
		{"compressed 2:1, a fifth of the files", snapshotPlan{was: 1000, delta: 200, changes: 1}, []int64{500}, false},
		{"a name with a newline", snapshotPlan{whole: true}, []int64{500}, true},
		{"an empty snapshot", snapshotPlan{was: 0, delta: 10, changes: 1}, []int64{20}, true},
	}
	for _, tt := range tests {
		why := tt.plan.wholeBecause(tt.layers)
		if (why != "") != tt.whole {
			t.Errorf("%s: wholeBecause = %q, want whole %v", tt.name, why, tt.whole)
		}
	}
}
