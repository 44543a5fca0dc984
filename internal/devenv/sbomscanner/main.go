// Command sbomscanner is a small SBOM generator that follows BuildKit's SBOM
// scanning protocol (docs/attestations/sbom-protocol.md in moby/buildkit):
// it scans the root filesystem at $BUILDKIT_SCAN_SOURCE, and each one under
// $BUILDKIT_SCAN_SOURCE_EXTRAS, and writes one in-toto statement per
// filesystem, holding an SPDX 2.3 document, to $BUILDKIT_SCAN_DESTINATION.
//
// The dev environment seeds it as docker/buildkit-syft-scanner:stable-1,
// BuildKit's default generator, so `--sbom` works offline: the real scanner
// is not on the module proxy, and syft weighs hundreds of modules. It names
// what it can tell without a package database: busybox, and every Go
// binary with its modules (debug/buildinfo). Its output depends only on the
// files: the same filesystem gives the same document.
package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sbomscanner:", err)
		os.Exit(1)
	}
}

func run() error {
	dest, src := os.Getenv("BUILDKIT_SCAN_DESTINATION"), os.Getenv("BUILDKIT_SCAN_SOURCE")
	if dest == "" || src == "" {
		return fmt.Errorf("BUILDKIT_SCAN_DESTINATION and BUILDKIT_SCAN_SOURCE must be set")
	}
	roots := []string{src}
	if extras := os.Getenv("BUILDKIT_SCAN_SOURCE_EXTRAS"); extras != "" {
		entries, _ := os.ReadDir(extras) // missing: no extras, as the protocol says
		for _, e := range entries {
			roots = append(roots, filepath.Join(extras, e.Name()))
		}
	}
	for _, root := range roots {
		doc, err := scan(root)
		if err != nil {
			return fmt.Errorf("scan %s: %w", root, err)
		}
		data, err := json.MarshalIndent(statement{Type: "https://in-toto.io/Statement/v0.1", PredicateType: "https://spdx.dev/Document", Subject: []any{}, Predicate: doc}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dest, filepath.Base(root)+".spdx.json"), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []any  `json:"subject"`
	Predicate     any    `json:"predicate"`
}

// SPDX 2.3 JSON, the fields this scanner fills.
type document struct {
	SPDXVersion       string       `json:"spdxVersion"`
	DataLicense       string       `json:"dataLicense"`
	SPDXID            string       `json:"SPDXID"`
	Name              string       `json:"name"`
	DocumentNamespace string       `json:"documentNamespace"`
	CreationInfo      creationInfo `json:"creationInfo"`
	Packages          []pkg        `json:"packages"`
}

type creationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type pkg struct {
	SPDXID           string `json:"SPDXID"`
	Name             string `json:"name"`
	VersionInfo      string `json:"versionInfo"`
	DownloadLocation string `json:"downloadLocation"`
	FilesAnalyzed    bool   `json:"filesAnalyzed"`
	SourceInfo       string `json:"sourceInfo"`
	ExternalRefs     []ref  `json:"externalRefs,omitempty"`
}

type ref struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

// scan lists the packages of the filesystem at root.
func scan(root string) (document, error) {
	pkgs := []pkg{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil // unreadable or not a file: nothing to name
		}
		rel, _ := filepath.Rel(root, path)
		rel = "/" + filepath.ToSlash(rel)
		if filepath.Base(rel) == "busybox" {
			pkgs = append(pkgs, pkg{Name: "busybox", VersionInfo: "NOASSERTION", SourceInfo: "binary " + rel})
			return nil
		}
		if info, err := buildinfo.ReadFile(path); err == nil {
			pkgs = append(pkgs, goPackages(info, rel)...)
		}
		return nil
	})
	for i := range pkgs {
		pkgs[i].SPDXID = fmt.Sprintf("SPDXRef-Package-%d", i+1)
		pkgs[i].DownloadLocation = "NOASSERTION"
	}
	sum := sha256.New()
	for _, p := range pkgs {
		fmt.Fprintln(sum, p.Name, p.VersionInfo, p.SourceInfo)
	}
	return document{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              filepath.Base(root),
		DocumentNamespace: "https://cairn.invalid/sbomscanner/" + hex.EncodeToString(sum.Sum(nil)),
		CreationInfo:      creationInfo{Created: "1970-01-01T00:00:00Z", Creators: []string{"Tool: cairn-sbomscanner"}},
		Packages:          pkgs,
	}, err
}

// goPackages are a Go binary's main module and its dependencies.
func goPackages(info *buildinfo.BuildInfo, path string) []pkg {
	mods := []pkg{goModule(info.Main.Path, info.Main.Version, "go binary "+path)}
	mods[0].Name = strings.TrimSpace(mods[0].Name + " (" + info.GoVersion + ")")
	for _, dep := range info.Deps {
		if dep.Replace != nil {
			dep = dep.Replace
		}
		mods = append(mods, goModule(dep.Path, dep.Version, "module of go binary "+path))
	}
	return mods
}

func goModule(path, version, source string) pkg {
	if path == "" {
		path = "command-line-arguments"
	}
	return pkg{
		Name: path, VersionInfo: version, SourceInfo: source,
		ExternalRefs: []ref{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: "pkg:golang/" + path + "@" + version}},
	}
}
