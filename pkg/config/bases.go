package config

// BaseImages is build.yaml's baseImages: what cairn does about the external
// images stages are built FROM.
type BaseImages struct {
	// Refresh, on by default, makes cairn build resolve every base image's
	// current digest, record it on the stage caches it publishes, and build
	// the stages whose base moved since their cache was built with
	// BuildKit's pull mode. false leaves the bases to BuildKit alone.
	Refresh *bool `yaml:"refresh"`
}

// refreshBases is whether bases are refreshed: the flag's value when set,
// else the file's, else on.
func (f *File) refreshBases(o Overrides) bool {
	switch {
	case o.RefreshBases != nil:
		return *o.RefreshBases
	case f.BaseImages.Refresh != nil:
		return *f.BaseImages.Refresh
	}
	return true
}
