package options

import (
	"maps"
	"testing"
)

func TestParseBuildArgs(t *testing.T) {
	env := func(k string) (string, bool) { v, ok := map[string]string{"FROM_ENV": "e"}[k]; return v, ok }
	tests := []struct {
		in   []string
		want map[string]string
		err  bool
	}{
		{in: []string{"A=1", "B=x=y", "C="}, want: map[string]string{"A": "1", "B": "x=y", "C": ""}},
		{in: []string{"FROM_ENV", "UNSET"}, want: map[string]string{"FROM_ENV": "e"}}, // a bare KEY without a value is left out
		{in: []string{"=1"}, err: true},
	}
	for _, tt := range tests {
		got, err := ParseBuildArgs(tt.in, env)
		if (err != nil) != tt.err || (!tt.err && !maps.Equal(got, tt.want)) {
			t.Errorf("ParseBuildArgs(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
