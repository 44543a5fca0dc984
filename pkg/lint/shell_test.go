package lint

import (
	"reflect"
	"testing"
)

func TestSplitShell(t *testing.T) {
	tests := []struct {
		src  string
		want []simpleCmd
	}{
		{"a b && c;d || e & f", []simpleCmd{{args: []string{"a", "b"}}, {args: []string{"c"}}, {args: []string{"d"}}, {args: []string{"e"}}, {args: []string{"f"}}}},
		{"curl -fsSL x | sh -", []simpleCmd{{args: []string{"curl", "-fsSL", "x"}, pipeOut: true}, {args: []string{"sh", "-"}}}},
		{"a |& b", []simpleCmd{{args: []string{"a"}, pipeOut: true}, {args: []string{"b"}}}},
		{`echo 'a|b' "c|$(d "e")" f\|g ""`, []simpleCmd{{args: []string{"echo", "a|b", `c|$(d "e")`, "f|g", ""}}}},
		{"echo hi > /x 2>&1 >>/y &> /z", []simpleCmd{{args: []string{"echo", "hi"}, redirects: []string{"/x", "/y", "/z"}}}},
		{"cat <<EOF >/etc/x\n", []simpleCmd{{args: []string{"cat"}, redirects: []string{"/etc/x"}}}},
		{"sort < in 2> err", []simpleCmd{{args: []string{"sort"}, redirects: []string{"err"}}}},
		{"a \\\n  b # comment | x\nc#d", []simpleCmd{{args: []string{"a", "b"}}, {args: []string{"c#d"}}}},
		{"(cd /x && make) `echo ;` ${A:-;}", []simpleCmd{{args: []string{"cd", "/x"}}, {args: []string{"make"}}, {args: []string{"`echo ;`", "${A:-;}"}}}},
		{"if [ -f x ]; then rm x; fi", []simpleCmd{{args: []string{"if", "[", "-f", "x", "]"}}, {args: []string{"then", "rm", "x"}}, {args: []string{"fi"}}}},
		{"'unterminated", []simpleCmd{{args: []string{"unterminated"}}}},
		{"$(", []simpleCmd{{args: []string{"$("}}}},
	}
	for _, tc := range tests {
		if got := splitShell(tc.src); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitShell(%q)\n got %#v\nwant %#v", tc.src, got, tc.want)
		}
	}
}

func TestCmdName(t *testing.T) {
	tests := []struct {
		args []string
		name string
	}{
		{[]string{"/usr/bin/curl", "-o", "x"}, "curl"},
		{[]string{"DEBIAN_FRONTEND=noninteractive", "apt-get", "install"}, "apt-get"},
		{[]string{"then", "sudo", "-E", "rm", "x"}, "rm"},
		{[]string{"env", "-i", "A=b", "yum", "install"}, "yum"},
		{[]string{"A=b"}, ""},
	}
	for _, tc := range tests {
		if got, _ := cmdName(tc.args); got != tc.name {
			t.Errorf("cmdName(%q) = %q, want %q", tc.args, got, tc.name)
		}
	}
}

func TestOptValues(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-fsSLo", "a", "URL"}, []string{"a"}},
		{[]string{"-oa", "--output", "b", "--output=c"}, []string{"a", "b", "c"}},
		{[]string{"-fsSL", "URL"}, nil},
		{[]string{"", "-o"}, nil},
	}
	for _, tc := range tests {
		if got := optValues(tc.args, 'o', "--output"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("optValues(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func FuzzSplitShell(f *testing.F) {
	for _, s := range []string{"a | b && c", `echo "$(x "y")" 'z' \` + "\n", "a 2>&1 > f <<EOF", "`", "$(", "${", `"\`, "#x\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, c := range splitShell(src) {
			if len(c.args) == 0 && len(c.redirects) == 0 {
				t.Fatalf("empty command in %q", src)
			}
			name, _ := cmdName(c.args)
			createdPaths(name, c.args, c)
			isDownload(c)
			verifies(c)
		}
	})
}
