package tiers_test

import (
	"testing"
	"time"

	"github.com/cairn-build/cairn/pkg/tiers"
)

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: "14d", want: 14 * 24 * time.Hour},
		{in: "2w", want: 14 * 24 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "36h", want: 36 * time.Hour},
		{in: "0s"},
		{in: "1500ms", want: 1500 * time.Millisecond},
		{in: "-1d", err: true},
		{in: "-5m", err: true},
		{in: "d", err: true},
		{in: "14", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		got, err := tiers.ParseAge(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
