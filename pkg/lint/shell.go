package lint

import (
	"path"
	"strings"
)

// simpleCmd is one simple command of a RUN's shell text.
type simpleCmd struct {
	args      []string // words, quotes removed; $(...) and `...` kept raw
	redirects []string // files output is written to: > >> >| &> &>>
	pipeOut   bool     // stdout feeds a pipe: | or |&
}

// splitShell splits shell text into simple commands. It is a small
// tokenizer, not a shell: it knows quotes, backslash escapes and line
// continuations, comments, the separators && || ; & | |& ( ) and newline,
// and redirects (2>&1 is no file; < and << consume their word). It does
// not expand variables or globs, look inside $(...) or backquotes, or
// understand compound commands beyond skipping their keywords (cmdName).
func splitShell(src string) []simpleCmd {
	s := &shellSplitter{src: src}
	s.run()
	return s.cmds
}

type shellSplitter struct {
	src    string
	i      int
	cmds   []simpleCmd
	cur    simpleCmd
	word   strings.Builder
	inWord bool // a word has started, possibly empty ("")
	// next says what the next word is: 0 an argument, '>' a redirect
	// target, '<' an input file, heredoc delimiter or fd: not an argument.
	next byte
}

func (s *shellSplitter) run() {
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			s.endWord()
			s.i++
		case c == '#' && !s.inWord:
			s.skipComment()
		case c == '\\' || c == '\'' || c == '"' || c == '`' || c == '$':
			s.quoted(c)
		case c == '>' || c == '<':
			s.redirect(c)
		case strings.IndexByte("\n;&|()", c) >= 0:
			s.operator(c)
		default:
			s.word.WriteByte(c)
			s.inWord = true
			s.i++
		}
	}
	s.endCmd(false)
}

// operator handles the separators; "&>" is a redirect.
func (s *shellSplitter) operator(c byte) {
	next := s.peek(1)
	switch {
	case c == '&' && next == '>':
		s.endWord()
		s.i++ // the '>' makes it a redirect of stdout and stderr
		s.redirect('>')
	case c == '|' && next != '|':
		s.i++
		if next == '&' {
			s.i++
		}
		s.endCmd(true)
	default:
		s.i++
		if (c == '&' || c == '|' || c == ';') && next == c {
			s.i++
		}
		s.endCmd(false)
	}
}

// redirect handles >, >>, >|, >&N, <, <<, <<-, <<< and <>. A digits-only
// word right before the operator is its fd, not an argument.
func (s *shellSplitter) redirect(c byte) {
	if s.inWord && isDigits(s.word.String()) {
		s.word.Reset()
		s.inWord = false
	}
	s.endWord()
	s.i++
	for s.i < len(s.src) && strings.IndexByte("<>|-", s.src[s.i]) >= 0 {
		s.i++
	}
	s.next = '<'
	if c != '>' {
		return
	}
	if s.peek(0) == '&' {
		s.i++ // >&2: a file descriptor
		return
	}
	s.next = '>'
}

// quoted handles escapes, quotes and $ forms, keeping the word going.
func (s *shellSplitter) quoted(c byte) {
	if c == '\\' && s.peek(1) == '\n' {
		s.i += 2 // a line continuation joins, it does not start a word
		return
	}
	s.inWord = true
	switch {
	case c == '\\':
		if s.i+1 < len(s.src) {
			s.word.WriteByte(s.src[s.i+1])
		}
		s.i += 2
	case c == '\'':
		s.until('\'')
	case c == '`':
		s.raw(s.closeBackquote())
	case c == '"':
		s.doubleQuoted()
	case s.peek(1) == '(':
		s.raw(s.closeParen(s.i + 1))
	case s.peek(1) == '{':
		s.raw(s.closeBrace(s.i + 1))
	default:
		s.word.WriteByte(c)
		s.i++
	}
}

// until appends the text up to the closing quote q, dropping both quotes.
func (s *shellSplitter) until(q byte) {
	end := strings.IndexByte(s.src[s.i+1:], q)
	if end < 0 {
		end = len(s.src) - s.i - 1
	}
	s.word.WriteString(s.src[s.i+1 : s.i+1+end])
	s.i += end + 2
}

// doubleQuoted appends a "..." string: \ escapes only " \ $ ` and
// newline, and $(...) may nest quotes.
func (s *shellSplitter) doubleQuoted() {
	s.i++
	for s.i < len(s.src) && s.src[s.i] != '"' {
		c := s.src[s.i]
		switch {
		case c == '\\' && strings.IndexByte("\"\\$`\n", s.peek(1)) >= 0:
			if s.peek(1) != '\n' {
				s.word.WriteByte(s.src[s.i+1])
			}
			s.i += 2
		case c == '$' && s.peek(1) == '(':
			s.raw(s.closeParen(s.i + 1))
		case c == '`':
			s.raw(s.closeBackquote())
		default:
			s.word.WriteByte(c)
			s.i++
		}
	}
	s.i++
}

// raw appends src[i:end] unparsed.
func (s *shellSplitter) raw(end int) {
	end = min(end, len(s.src))
	s.word.WriteString(s.src[s.i:end])
	s.i = end
}

// closeParen is the index after the ')' matching the '(' at open,
// skipping quoted text.
func (s *shellSplitter) closeParen(open int) int {
	depth := 0
	for j := open; j < len(s.src); j++ {
		switch s.src[j] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return j + 1
			}
		case '\\':
			j++
		case '\'', '"':
			if k := strings.IndexByte(s.src[j+1:], s.src[j]); k >= 0 {
				j += k + 1
			}
		}
	}
	return len(s.src)
}

// closeBrace is the index after the '}' closing the ${ at open.
func (s *shellSplitter) closeBrace(open int) int {
	if k := strings.IndexByte(s.src[open:], '}'); k >= 0 {
		return open + k + 1
	}
	return len(s.src)
}

// closeBackquote is the index after the '`' closing the one at s.i.
func (s *shellSplitter) closeBackquote() int {
	if k := strings.IndexByte(s.src[s.i+1:], '`'); k >= 0 {
		return s.i + k + 2
	}
	return len(s.src)
}

func (s *shellSplitter) skipComment() {
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		s.i++
	}
}

func (s *shellSplitter) peek(n int) byte {
	if s.i+n < len(s.src) {
		return s.src[s.i+n]
	}
	return 0
}

// endWord files the current word as an argument, a redirect target or
// nothing, as s.next says.
func (s *shellSplitter) endWord() {
	if !s.inWord {
		return
	}
	w := s.word.String()
	s.word.Reset()
	s.inWord = false
	switch s.next {
	case '>':
		s.cur.redirects = append(s.cur.redirects, w)
	case 0:
		s.cur.args = append(s.cur.args, w)
	}
	s.next = 0
}

// endCmd ends the current simple command; pipe says a | followed it.
func (s *shellSplitter) endCmd(pipe bool) {
	s.endWord()
	s.next = 0
	if len(s.cur.args) > 0 || len(s.cur.redirects) > 0 {
		s.cur.pipeOut = pipe
		s.cmds = append(s.cmds, s.cur)
	}
	s.cur = simpleCmd{}
}

func isDigits(w string) bool {
	return w != "" && strings.Trim(w, "0123456789") == ""
}

// cmdName is the program a simple command runs, by base name, and its
// arguments. It skips variable assignments, compound-command keywords and
// the wrappers sudo, env, exec, nohup, command and time with their flags.
func cmdName(args []string) (string, []string) {
	for len(args) > 0 {
		w := args[0]
		switch {
		case isShellKeyword(w) || isAssignment(w):
			args = args[1:]
		case isWrapper(w):
			args = args[1:]
			for len(args) > 0 && strings.HasPrefix(args[0], "-") {
				args = args[1:]
			}
		default:
			return path.Base(w), args[1:]
		}
	}
	return "", nil
}

func isShellKeyword(w string) bool {
	switch w {
	case "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}":
		return true
	}
	return false
}

func isWrapper(w string) bool {
	switch w {
	case "sudo", "env", "exec", "nohup", "command", "time":
		return true
	}
	return false
}

// isAssignment reports whether w is NAME=value.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// isShell reports whether a program name is a POSIX-style shell.
func isShell(name string) bool {
	switch name {
	case "sh", "bash", "ash", "dash", "zsh", "ksh", "mksh":
		return true
	}
	return false
}
