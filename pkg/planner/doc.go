// Package planner turns a multi-stage Dockerfile into a build plan: the
// stages each requested target needs, in an order BuildKit can build them,
// with the cache refs every stage imports and exports.
//
// The planner is pure data. It parses with BuildKit's own Dockerfile parser
// and mirrors the stage-resolution rules of BuildKit's dockerfile2llb
// converter, but it never talks to a daemon, a registry or the network.
package planner
