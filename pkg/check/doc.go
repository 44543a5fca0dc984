// Package check runs a target's checks on a built image: files in the final
// filesystem, the image config's metadata, dive's layer efficiency, and
// commands run in a container of the image. It is pure: it reads a v1.Image
// and never touches the network or a daemon; commands run through the
// caller's Runner (cairn's runs them inside BuildKit), and Run judges what
// they did.
//
// Paths are checked as stored, like lstat: a symlink is checked as the link
// itself (its own mode and owner; content checks fail on it) and symlinked
// parent directories are not resolved. A hard link's content is its target's.
//
// Container-structure-test files (schemaVersion 2.0.0) convert to a Spec with
// LoadStructureTest.
package check
