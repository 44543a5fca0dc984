package registry

import "strings"

// The names cairn writes into users' registries are an API: every
// annotation is under one namespace and every artifact type under one
// prefix, both versioned. Registries written by older cairns hold the names
// in legacy; Lookup and IsArtifact read them too, here alone.
const (
	// Namespace prefixes every annotation key cairn writes.
	Namespace = "io.github.cairn-build.v1."
	// artifactPrefix and artifactVersion frame every artifact type.
	artifactPrefix  = "application/vnd.cairn-build."
	artifactVersion = ".v1"
)

// Annotation keys, without the Namespace (see Annotation).
const (
	KeyBaseDigests = "base.digests" // a cache's base image digests, by platform
	KeyTierName    = "tier.name"    // a tier stamp's {branch} value
	KeyTierBranch  = "tier.branch"  // a tier stamp's branch
	KeyCommit      = "commit."      // prefixes the commit record's keys
)

// Artifact kinds (see ArtifactType).
const (
	ArtifactCommit    = "commit"     // a repository's commit record
	ArtifactTierStamp = "tier-stamp" // when a publish last wrote a cache tier
)

// Annotation is the annotation key cairn writes for key.
func Annotation(key string) string { return Namespace + key }

// ArtifactType is the artifact type cairn writes for kind.
func ArtifactType(kind string) string { return artifactPrefix + kind + artifactVersion }

// legacy are the keys that cairn wrote before the namespace, by key.
var legacy = map[string]string{
	KeyBaseDigests: "io.github.cairn-build.base.digests",
	KeyTierName:    "dev.cairn.cache.tier",
	KeyTierBranch:  "dev.cairn.cache.branch",
}

// legacyCommit prefixed the commit record's keys before the namespace.
const legacyCommit = "org.cairn-build.commit."

// legacyArtifacts are the artifact types cairn wrote before the prefix.
var legacyArtifacts = map[string]string{
	ArtifactTierStamp: "application/vnd.cairn.cache.tier.v1",
}

// Lookup is the value of key (a Key constant, or KeyCommit and a field)
// in annotations, written by this cairn or an older one.
func Lookup(annotations map[string]string, key string) string {
	if v, ok := annotations[Annotation(key)]; ok {
		return v
	}
	if old, ok := legacy[key]; ok {
		return annotations[old]
	}
	if field, ok := strings.CutPrefix(key, KeyCommit); ok {
		return annotations[legacyCommit+field]
	}
	return ""
}

// IsArtifact reports whether artifactType is kind's, as this cairn or an
// older one wrote it.
func IsArtifact(artifactType, kind string) bool {
	return artifactType == ArtifactType(kind) || (legacyArtifacts[kind] != "" && artifactType == legacyArtifacts[kind])
}
