package human

import "testing"

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 12_345_678: "12.3 MB", 2_500_000_000: "2.5 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDigest(t *testing.T) {
	for d, want := range map[string]string{"": "", "sha256:12": "sha256:12", "sha256:0123456789abcdef": "sha256:0123456789ab"} {
		if got := Digest(d); got != want {
			t.Errorf("Digest(%q) = %q, want %q", d, got, want)
		}
	}
}
