package options

import (
	"strings"
	"testing"
)

func TestWrapWords(t *testing.T) {
	tests := []struct {
		text  string
		width int
		want  []string
	}{
		{"", 10, []string{""}},
		{"one two three", 7, []string{"one two", "three"}},
		{"one two three", 100, []string{"one two three"}},
		{"a verylongword b", 4, []string{"a", "verylongword", "b"}},
		{"déjà vu", 7, []string{"déjà vu"}},
	}
	for _, tt := range tests {
		if got := wrapWords(tt.text, tt.width); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrapWords(%q, %d) = %q, want %q", tt.text, tt.width, got, tt.want)
		}
	}
}
