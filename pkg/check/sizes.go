package check

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseBytes reads a size as dive's --highestWastedBytes does (go-humanize's
// ParseBytes): a number, commas allowed, then an optional unit, any case,
// spaces allowed. "k"/"kB"… are powers of 1000, "Ki"/"KiB"… powers of 1024,
// "B" or no unit are bytes. Fractions are truncated to whole bytes.
func parseBytes(s string) (int64, error) {
	end := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != ',' })
	if end < 0 {
		end = len(s)
	}
	num := strings.ReplaceAll(s[:end], ",", "")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("invalid size %q: want a number and a unit like 500KB, 1MB or 1MiB", s)
	}
	mult, ok := unitBytes(strings.ToLower(strings.TrimSpace(s[end:])))
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (want B, kB, MB, GB, TB, PB, EB or KiB, MiB…)", s, strings.TrimSpace(s[end:]))
	}
	f *= mult
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(f), nil
}

// unitBytes is the multiplier of a lower-cased unit.
func unitBytes(unit string) (float64, bool) {
	if unit == "" || unit == "b" {
		return 1, true
	}
	base := 1000.0
	if rest, ok := strings.CutSuffix(unit, "ib"); ok {
		unit, base = rest, 1024
	} else if rest, ok := strings.CutSuffix(unit, "i"); ok {
		unit, base = rest, 1024
	} else {
		unit = strings.TrimSuffix(unit, "b")
	}
	exp := strings.Index("kmgtpe", unit)
	if len(unit) != 1 || exp < 0 {
		return 0, false
	}
	return math.Pow(base, float64(exp+1)), true
}

// humanBytes formats n as dive prints sizes (go-humanize's Bytes): SI units,
// one decimal below 10.
func humanBytes(n int64) string {
	if n < 10 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	exp := int(math.Floor(math.Log(float64(n)) / math.Log(1000)))
	exp = min(exp, len(units)-1)
	val := math.Floor(float64(n)/math.Pow(1000, float64(exp))*10+0.5) / 10
	if val < 10 {
		return fmt.Sprintf("%.1f %s", val, units[exp])
	}
	return fmt.Sprintf("%.0f %s", val, units[exp])
}
