// Package human writes digests and sizes the way cairn's messages and
// tables show them.
package human

import "fmt"

// Digest is d cut for a message or a table: "sha256:0123456789ab".
func Digest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// Bytes is n in decimal units with one decimal, as registries and docker
// show sizes and cache.mounts.maxSize is written: "812 B", "12.3 MB".
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
