//go:build unix

package inputs

import (
	"io/fs"
	"syscall"
)

// owner is the file's uid and gid: BuildKit sends them with the context.
func owner(fi fs.FileInfo) (uid, gid uint32) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid, st.Gid
	}
	return 0, 0
}
