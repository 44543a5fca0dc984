package check

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"
)

func reportFixture() ([]Result, *Efficiency) {
	results := []Result{
		{Kind: KindFile, Name: "/usr/local/bin/api", Passed: true, Message: "exists: -rwxr-xr-x 0:0, 18874368 bytes"},
		{Kind: KindMetadata, Name: "user", Passed: false, Message: `user "root", want "api"`},
		{Kind: KindCommand, Name: "api --version", Passed: false, Message: "exit code 1, want 0; stderr: \"boom\\n\"\nsecond line"},
		{Kind: KindEfficiency, Name: "highestWastedBytes", Passed: false, Message: "wasted 6000000 bytes (6.0 MB) > highest allowed 1MB (1000000 bytes)"},
	}
	eff := &Efficiency{Score: 2_000_100.0 / 6_000_100.0, SizeBytes: 5_000_100, UserSizeBytes: 5_000_000, WastedBytes: 6_000_000, UserWastedPercent: 1.2}
	for i := 0; i < 12; i++ {
		eff.Inefficiencies = append(eff.Inefficiencies, Inefficiency{Path: fmt.Sprintf("/data/file%02d", i), Count: 2 + i%3, CumulativeSize: int64(12-i) * 150_000})
	}
	return results, eff
}

func TestWriteReport(t *testing.T) {
	results, eff := reportFixture()
	tests := []struct {
		name   string
		golden string
		eff    *Efficiency
	}{
		{"with efficiency", "testdata/report.golden", eff},
		{"without efficiency", "testdata/report-no-efficiency.golden", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteReport(&buf, "api", results, tt.eff); err != nil {
				t.Fatal(err)
			}
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(tt.golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(tt.golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReportError(t *testing.T) {
	results, eff := reportFixture()
	if err := WriteReport(failWriter{}, "api", results, eff); err == nil {
		t.Error("want the writer's error")
	}
}
