// Package bake reads a `docker buildx bake` project — docker-bake.hcl or
// .json files, compose files, their override files — with buildx's own
// bake package, and returns cairn's plain description of every resolved
// target, then plans each with cairn's planner.
//
// Resolution is buildx's: the default file lookup, groups, inherits,
// variables and functions, matrix, --set and environment overrides, and
// compose files read through compose-go. Nothing here talks to a daemon,
// a registry or the network; paths are relative to the working directory,
// as in buildx.
package bake
