package config

import "fmt"

// OptionError is an error about an option a program sets in code, not in
// build.yaml: a field of Overrides, cairn.LoadOptions or cairn.RunOptions,
// Option naming it as Go spells it ("Overrides.Platforms",
// "Overrides.Docker.Labels"). Either its value is wrong: Value is the entry
// at fault when the field holds several ("" when it is one value) and Err
// what is wrong with it. Or, with Field set, the build needs the option and
// nothing set it: Err says what needs it, and Field is build.yaml's field
// that sets it too. The message names the Go field; a CLI names its flag
// instead with Named (pkg/cairn/options does).
type OptionError struct {
	Option string
	Value  string
	Err    error
	Field  string
}

func (e *OptionError) Error() string { return e.Named(func(option string) string { return option }) }
func (e *OptionError) Unwrap() error { return e.Err }

// Named is the message with name(Option) for the option.
func (e *OptionError) Named(name func(option string) string) string {
	switch {
	case e.Field != "":
		return fmt.Sprintf("%v (set %s: or %s)", e.Err, e.Field, name(e.Option))
	case e.Value != "":
		return fmt.Sprintf("%s %q: %v", name(e.Option), e.Value, e.Err)
	}
	return fmt.Sprintf("%s: %v", name(e.Option), e.Err)
}

// overrideError is an OptionError of the override field (Overrides.field).
func overrideError(field, value string, err error) *OptionError {
	return &OptionError{Option: "Overrides." + field, Value: value, Err: err}
}

// NeedsRepository is the OptionError of what needs a repository that
// neither build.yaml nor Overrides.Repository set.
func NeedsRepository(err error) *OptionError {
	return &OptionError{Option: "Overrides.Repository", Field: "repository", Err: err}
}
