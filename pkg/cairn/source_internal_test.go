package cairn

import (
	"testing"
	"time"
)

// TestEpochOutsideACheckout: a context in no git checkout gets a fixed
// epoch (0) unless one is given, so unchanged sources give unchanged
// digests; the defaulted epoch does not order concurrent publishers.
func TestEpochOutsideACheckout(t *testing.T) {
	started := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		mode      string
		env       map[string]string
		wantEpoch *time.Time
		wantOrder time.Time
	}{
		{name: "default", wantEpoch: ptr(time.Unix(0, 0).UTC()), wantOrder: started},
		{name: "git", mode: EpochGit, wantEpoch: ptr(time.Unix(0, 0).UTC()), wantOrder: started},
		{name: "off", mode: EpochOff, wantOrder: started},
		{name: "seconds", mode: "1700000000", wantEpoch: ptr(time.Unix(1700000000, 0).UTC()), wantOrder: time.Unix(1700000000, 0).UTC()},
		{name: "env", env: map[string]string{"SOURCE_DATE_EPOCH": "42"}, wantEpoch: ptr(time.Unix(42, 0).UTC()), wantOrder: time.Unix(42, 0).UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			src, err := readSource(t.Context(), t.TempDir(), tt.mode, env)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case (src.Epoch == nil) != (tt.wantEpoch == nil):
				t.Errorf("epoch %v, want %v", src.Epoch, tt.wantEpoch)
			case src.Epoch != nil && !src.Epoch.Equal(*tt.wantEpoch):
				t.Errorf("epoch %v, want %v", *src.Epoch, *tt.wantEpoch)
			}
			if got := src.orderTime(started); !got.Equal(tt.wantOrder) {
				t.Errorf("order time %v, want %v", got, tt.wantOrder)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
