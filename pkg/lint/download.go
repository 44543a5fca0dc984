package lint

import (
	"net/url"
	"slices"
	"strings"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// unverifiedDownload flags a RUN that downloads with curl or wget and
// does not verify a checksum or signature in the same RUN (CAIRN005): a
// compromised or changed upstream goes straight into the image.
func unverifiedDownload(_ dfparse.Run, r runScript) []Finding {
	i := slices.IndexFunc(r.cmds, isDownload)
	if i < 0 || slices.ContainsFunc(r.cmds, verifies) {
		return nil
	}
	name, _ := cmdName(r.cmds[i].args)
	return []Finding{finding(ruleUnverified, r.line, "%s downloads without a checksum or signature check in the same RUN: verify it, e.g. echo \"<sha256>  file\" | sha256sum -c -", name)}
}

// isDownload reports whether c fetches something into a file or a pipe:
// wget always does; curl when it keeps the output. Commands that
// name a local URL (health checks) are not downloads.
func isDownload(c simpleCmd) bool {
	name, args := cmdName(c.args)
	switch name {
	case "curl":
		if !curlKeeps(c, args) {
			return false
		}
	case "wget":
		if slices.Contains(args, "--spider") {
			return false
		}
	default:
		return false
	}
	return !slices.ContainsFunc(nonFlags(args), isLocalURL)
}

// curlKeeps reports whether curl's output is kept: piped, or written to
// a file other than /dev/null.
func curlKeeps(c simpleCmd, args []string) bool {
	if c.pipeOut || hasFlag(args, 'O', "--remote-name") || slices.Contains(args, "--remote-name-all") {
		return true
	}
	outs := append(optValues(args, 'o', "--output"), c.redirects...)
	return slices.ContainsFunc(outs, func(o string) bool { return o != "/dev/null" })
}

// isLocalURL reports whether arg is a URL (with or without scheme) on
// localhost, 127.0.0.0/8, ::1 or 0.0.0.0.
func isLocalURL(arg string) bool {
	if !strings.Contains(arg, "://") {
		arg = "http://" + arg
	}
	u, err := url.Parse(arg)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" || h == "0.0.0.0"
}

// verifies reports whether c checks a checksum or signature:
// sha*sum -c/--check, shasum -c, b2sum -c, gpg --verify, gpgv, cosign
// verify*.
func verifies(c simpleCmd) bool {
	name, args := cmdName(c.args)
	switch name {
	case "sha224sum", "sha256sum", "sha384sum", "sha512sum", "shasum", "b2sum":
		return hasFlag(args, 'c', "--check")
	case "gpg", "gpg2":
		return slices.Contains(args, "--verify")
	case "gpgv", "gpgv2":
		return true
	case "cosign":
		sub := nonFlags(args)
		return len(sub) > 0 && strings.HasPrefix(sub[0], "verify")
	}
	return false
}
