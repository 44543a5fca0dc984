package check

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
)

// permissions is a parsed FileCheck.Permissions: either Go's FileMode string
// ("-rwxr-xr-x", compared whole, type included) or octal bits.
type permissions struct {
	symbolic string
	octal    fs.FileMode // permission, setuid, setgid and sticky bits
}

// parsePermissions accepts "0755", "755", "4755" or a FileMode string.
func parsePermissions(s string) (permissions, error) {
	if ok, _ := regexp.MatchString(`^0?[0-7]{3,4}$`, s); ok {
		n, err := strconv.ParseUint(s, 8, 32)
		if err != nil {
			return permissions{}, fmt.Errorf("invalid octal permissions %q: %w", s, err)
		}
		return permissions{octal: octalMode(uint32(n))}, nil
	}
	// Go prints type and setuid/setgid/sticky as leading letters ("urwxr-xr-x"), never ls's "rws".
	if ok, _ := regexp.MatchString(`^(-|[dalTLDpSugct?]+)([r-][w-][x-]){3}$`, s); ok {
		return permissions{symbolic: s}, nil
	}
	return permissions{}, fmt.Errorf("invalid permissions %q: want octal like 0755 or a mode as Go prints it, like -rwxr-xr-x, drwxr-xr-x or urwxr-xr-x (setuid)", s)
}

// octalMode turns Unix octal bits into Go's FileMode bits.
func octalMode(n uint32) fs.FileMode {
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// match reports whether mode has these permissions, and what it has.
func (p permissions) match(mode fs.FileMode) (bool, string) {
	if p.symbolic != "" {
		return mode.String() == p.symbolic, mode.String()
	}
	bits := mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	return bits == p.octal, fmt.Sprintf("%04o (%s)", unixBits(bits), mode)
}

// unixBits turns Go's FileMode permission bits back into octal.
func unixBits(m fs.FileMode) uint32 {
	n := uint32(m & fs.ModePerm)
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return n
}

// executableBits are the x bits an "executable by" class needs (any of).
func executableBits(class string) (fs.FileMode, bool) {
	switch strings.ToLower(class) {
	case "owner":
		return 0o100, true
	case "group":
		return 0o010, true
	case "other":
		return 0o001, true
	case "any":
		return 0o111, true
	}
	return 0, false
}
