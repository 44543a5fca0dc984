// Package lint checks a Dockerfile before cairn builds it: BuildKit's own
// build checks plus cairn's checklist (pinned bases, non-root final image,
// no secrets in ARG or ENV, verified downloads, layers that do not keep
// deleted bytes). Error findings fail the gate, so nothing is published.
//
// Lint is pure: it parses with BuildKit's Dockerfile parser and runs
// BuildKit's linter with an offline image resolver, so it never talks to a
// daemon, a registry or the network.
package lint
