// Package dfparsetest holds Dockerfiles for the tests of what parses them:
// the fuzzers of the planner and the lint start from the same odd inputs.
package dfparsetest

// OddDockerfiles are inputs BuildKit's parser, cairn's planner and the
// lint's shell tokenizer must survive: truncated instructions, an
// unterminated heredoc, a NUL byte, another escape character, a stage that
// copies from itself, shell syntax at its edges.
func OddDockerfiles() []string {
	return []string{
		"",
		"FROM",
		"FROM a AS",
		"FROM alpine\nRUN <<EOF\necho unterminated\n",
		"\x00",
		"FROM alpine AS a\nONBUILD COPY --from=a / /\nFROM a\n",
		"# escape=`\nFROM alpine AS a\nRUN echo `\n  hi\nFROM a\nCOPY --from=0 / /\n",
		"# escape=`\nFROM alpine AS a\nRUN echo `\n  hi | x\nFROM a\n",
		"FROM a\nRUN echo \"$(curl -o x 'http://h' \\\n| sh\" `x` ${y:-|} >&2 <<< z 2>\n",
		"FROM a\nRUN --mount=type=cache,target=/var/cache/apt,id=x apt-get install -y\n",
		"FROM a\nRUN cd && rm -rf ./* && cd - && rm [ && rm '[a-'\n",
		"FROM a AS b\nFROM b AS c\nFROM c\nSHELL [\"bash\", \"-c\"]\nRUN a | b\n",
		"FROM a\nCOPY <<EOF /x/\nhi\nEOF\nRUN rm /x\n",
	}
}
