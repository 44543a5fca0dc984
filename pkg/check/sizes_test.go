package check

import "testing"

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1048576", 1048576, false},
		{"0", 0, false},
		{"500KB", 500_000, false},
		{"500 kB", 500_000, false},
		{"1MB", 1_000_000, false},
		{"1mb", 1_000_000, false},
		{"1M", 1_000_000, false},
		{"1MiB", 1 << 20, false},
		{"1Mi", 1 << 20, false},
		{"1.5GB", 1_500_000_000, false},
		{"2,000 B", 2000, false},
		{"1 EB", 1e18, false},
		{"10EB", 0, true},
		{"MB", 0, true},
		{"-1MB", 0, true},
		{"1XB", 0, true},
		{"1 bytes", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseBytes(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseBytes(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"}, {9, "9 B"}, {10, "10 B"}, {999, "999 B"}, {1000, "1.0 kB"},
		{13_000, "13 kB"}, {1_500_000, "1.5 MB"}, {4_000_000, "4.0 MB"},
		{82_000_000, "82 MB"}, {2_000_000_000_000, "2.0 TB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.in); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
