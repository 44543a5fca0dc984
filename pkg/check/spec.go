package check

// Spec is a target's checks (build.yaml `targets.<name>.checks`). Its types
// are plain yaml-tagged structs so pkg/config's strict decoder can fill them.
type Spec struct {
	Files    []FileCheck    `yaml:"files"`
	Metadata *MetadataCheck `yaml:"metadata"`
	// Commands run through the caller's Runner (see Run); this package
	// judges what they did (EvaluateCommand).
	Commands   []CommandCheck   `yaml:"commands"`
	Efficiency *EfficiencyCheck `yaml:"efficiency"`
}

// FileCheck is a check on one path of the image's final filesystem.
type FileCheck struct {
	// Name defaults to Path.
	Name string `yaml:"name"`
	Path string `yaml:"path"`
	// Exists defaults to true; false means the path must not exist, and
	// nothing else may be checked.
	Exists *bool `yaml:"exists"`
	// Permissions is "-rwxr-xr-x" (Go's FileMode string, as
	// container-structure-test writes it, type letter included) or octal
	// "0755" (permission and setuid/setgid/sticky bits only).
	Permissions string `yaml:"permissions"`
	UID         *int   `yaml:"uid"`
	GID         *int   `yaml:"gid"`
	// Executable is "owner", "group", "other" or "any": who must be able
	// to execute the file.
	Executable string `yaml:"executable"`
	// Contains are regexes that must match the content; Excludes must not.
	Contains []string `yaml:"contains"`
	Excludes []string `yaml:"excludes"`
}

// MetadataCheck is a check on the image config. Zero fields are not checked.
type MetadataCheck struct {
	// Env and Labels map a name to a regex its value must match.
	Env    map[string]string `yaml:"env"`
	Labels map[string]string `yaml:"labels"`
	// ExposedPorts are "8080" (meaning 8080/tcp) or "8080/udp".
	ExposedPorts   []string `yaml:"exposedPorts"`
	UnexposedPorts []string `yaml:"unexposedPorts"`
	Volumes        []string `yaml:"volumes"`
	// UnmountedVolumes must not be declared volumes.
	UnmountedVolumes []string `yaml:"unmountedVolumes"`
	// Entrypoint and Cmd are compared exactly; nil is not checked and an
	// empty list means "must be empty".
	Entrypoint []string `yaml:"entrypoint"`
	Cmd        []string `yaml:"cmd"`
	Workdir    string   `yaml:"workdir"`
	// User is compared exactly.
	User string `yaml:"user"`
	// NotRoot fails on a user of "", "root", "0", "0:*" or "root:*".
	NotRoot bool `yaml:"notRoot"`
}

// CommandCheck is a command the caller runs in a container of the image.
type CommandCheck struct {
	// Name defaults to the command line.
	Name string `yaml:"name"`
	// Setup are shell command lines run with `/bin/sh -c`, in order, in the
	// same container before Command. They are strings rather than argv
	// lists because pkg/config's decoder only decodes lists of scalars.
	Setup    []string `yaml:"setup"`
	Command  string   `yaml:"command"`
	Args     []string `yaml:"args"`
	ExitCode int      `yaml:"exitCode"`
	// ExpectedOutput and ExcludedOutput are regexes on stdout;
	// ExpectedError and ExcludedError on stderr.
	ExpectedOutput []string `yaml:"expectedOutput"`
	ExcludedOutput []string `yaml:"excludedOutput"`
	ExpectedError  []string `yaml:"expectedError"`
	ExcludedError  []string `yaml:"excludedError"`
}

// EfficiencyCheck gates on dive's figures (see Analyze). Zero fields are
// not checked.
type EfficiencyCheck struct {
	// LowestEfficiency is the lowest score allowed, 0..1.
	LowestEfficiency float64 `yaml:"lowestEfficiency"`
	// HighestWastedBytes is a size as dive accepts it: "1048576", "500KB",
	// "1MB" (powers of 1000) or "1MiB" (powers of 1024).
	HighestWastedBytes string `yaml:"highestWastedBytes"`
	// HighestUserWastedPercent is the highest wasted/user-size ratio
	// allowed, as a fraction (0.1 = 10%); it may exceed 1.
	HighestUserWastedPercent float64 `yaml:"highestUserWastedPercent"`
}

// Result is one check's outcome.
type Result struct {
	// Kind is "file", "metadata", "command" or "efficiency".
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Message says why the check failed, or sums up what passed.
	Message string `json:"message"`
}

// Result kinds.
const (
	KindFile       = "file"
	KindMetadata   = "metadata"
	KindCommand    = "command"
	KindEfficiency = "efficiency"
)

// name is the check's display name.
func (c FileCheck) name() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Path
}

// mustExist reports whether the path must exist (the default).
func (c FileCheck) mustExist() bool { return c.Exists == nil || *c.Exists }

// name is the check's display name.
func (c CommandCheck) name() string {
	if c.Name != "" {
		return c.Name
	}
	return commandLine(c.Command, c.Args)
}
