package options

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// HelpWidth is the widest line `--help` prints under UseHelp; cairn's help
// test holds every command to it.
const HelpWidth = 100

// usageWidth is where a flag's description wraps: the name column
// (indent, names, placeholder) must fit in HelpWidth-usageWidth.
const usageWidth = 60

// commandHelp lists each flag group under its own heading, as docker's help
// does (OPTIONS for the command's own flags, then BUILD, CACHE, DAEMON,
// OUTPUT, PUBLISH, REGISTRY: urfave sorts the groups by name). A heading ends
// tabwriter's column block, so each group aligns on its own widest flag.
const commandHelp = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{template "usageTemplate" .}}{{if .Description}}

DESCRIPTION:
   {{template "descriptionTemplate" .}}{{end}}{{range .VisibleFlagCategories}}

{{if .Name}}{{.Name}} {{end}}OPTIONS:{{range .Flags}}
   {{.}}{{end}}{{else}}{{if .VisibleFlags}}

OPTIONS:{{range .VisibleFlags}}
   {{.}}{{end}}{{end}}{{end}}
`

// UseHelp gives app's commands cairn's help: flags grouped under headings,
// each listed once with its description wrapped in its own column. It also
// sets how urfave lists a flag, which urfave/cli/v2 exposes only as a
// package variable: its default repeats a repeatable flag's names and
// placeholder ("--tag REF, -t REF [ --tag REF, -t REF ]") on one line that
// pushes every description past 200 columns.
func UseHelp(app *cli.App) {
	cli.FlagStringer = flagHelp
	for _, cmd := range app.Commands {
		cmd.CustomHelpTemplate = commandHelp
	}
}

// flagHelp is one flag's help: "--tag, -t REF<tab>description (default: …)",
// the description wrapped at usageWidth under its own column.
func flagHelp(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	placeholder, usage := placeholderOf(df.GetUsage())
	if placeholder == "" && df.TakesValue() {
		placeholder = "value"
	}
	names := make([]string, 0, len(df.Names()))
	for _, n := range df.Names() {
		if len(n) == 1 {
			names = append(names, "-"+n)
		} else {
			names = append(names, "--"+n)
		}
	}
	head := strings.Join(names, ", ")
	if placeholder != "" {
		head += " " + placeholder
	}
	// A switch that is off unless given says nothing by "(default: false)".
	if def := df.GetDefaultText(); def != "" && def != "false" {
		usage += " (default: " + def + ")"
	}
	if env := df.GetEnvVars(); len(env) > 0 {
		usage += " [$" + strings.Join(env, ", $") + "]"
	}
	return head + "\t" + strings.Join(wrapWords(usage, usageWidth), "\n   \t")
}

// placeholderOf takes the `quoted` placeholder out of a usage string, as
// urfave does: "label `KEY=VALUE`" names the value KEY=VALUE.
func placeholderOf(usage string) (placeholder, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}

// wrapWords breaks text into lines of at most width runes, at spaces; a
// longer word stands alone on its line.
func wrapWords(text string, width int) []string {
	var lines []string
	var line strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		wl := len([]rune(w))
		if n > 0 && n+1+wl > width {
			lines = append(lines, line.String())
			line.Reset()
			n = 0
		}
		if n > 0 {
			line.WriteByte(' ')
			n++
		}
		line.WriteString(w)
		n += wl
	}
	if n > 0 || len(lines) == 0 {
		lines = append(lines, line.String())
	}
	return lines
}
