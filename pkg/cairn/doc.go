// Package cairn is cairn's pipeline as a library: what `cairn build --push`
// does, for programs that embed it the way ko's pkg/commands or crane's
// pkg/crane are embedded. It is a façade: it holds the pipeline's order
// and the Report, and calls cairn's packages for the rest (pkg/build,
// pkg/push, pkg/bases, pkg/tiers; pkg/render prints what it returns).
//
//	p, err := cairn.Load(ctx, cairn.LoadOptions{Config: "build.yaml"})
//	c, err := cairn.Dial(ctx, cairn.DaemonOptions{Addr: "unix:///run/buildkit/buildkitd.sock"})
//	report, err := cairn.Run(ctx, cairn.On(c), p, cairn.RunOptions{Push: true})
//
// Load reads build.yaml, the overrides and the Dockerfile and plans the
// build without a daemon. Run lints, builds every planned stage, runs the
// targets' checks and, when publishing, moves the tags: each step only when
// every step before it succeeded, so a failure never leaves a tag moved.
// The Report that Run returns is the metadata file's content.
//
// On several daemons (--addr repeated, or build.yaml's builders:):
//
//	pool, err := cairn.DialPool(ctx, p.Daemons(addrs, cairn.DaemonOptions{}))
//	report, err := pool.Run(ctx, p, cairn.RunOptions{Push: true})
//
// Pool.Run spreads independent stages over the daemons and builds each
// platform on daemons that build it natively; with one daemon it is Run.
// Run builds on a Builder, which one daemon (On) and a Pool both are.
package cairn
