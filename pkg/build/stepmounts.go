package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/convertllb"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/solver/pb"
	"github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/encoding/protojson"
)

// A step's progress vertex carries the digest of its LLB op, so the cache
// mounts a step runs with are read from the solve's LLB, by digest. The
// Dockerfile frontend builds that LLB inside the daemon; its
// frontend.convertllb subrequest answers the same conversion when asked
// with the solve's attributes and with the context's local source in the
// solve's session: the local op names its session, and every op after a
// COPY from the context has it among its inputs. The frontend reads
// .dockerignore through that session, so the request runs beside the solve
// (before it, it would wait for a session that is not there yet).

// converter is a daemon that runs gateway builds: *client.Client is one.
type converter interface {
	Build(ctx context.Context, opt client.SolveOpt, product string, buildFunc gateway.BuildFunc, statusChan chan *client.SolveStatus) (*client.SolveResponse, error)
}

// errNoConverter is the LLB of a solve on a Solver that runs no gateway
// build.
var errNoConverter = errors.New("the daemon answers no frontend request")

// stepMounts are the cache mounts of one solve's steps, known once the
// daemon converted its Dockerfile: by each exec op's digest, the IDs of
// its cache mounts.
type stepMounts struct {
	ready chan struct{} // closed when byExec (or err) is set
	// byExec is nil when the conversion failed (err): then each step may
	// use every carried mount of the stage.
	byExec map[digest.Digest][]string
	err    error
}

// stepMountsOf starts reading the LLB of the solve of opt, which it makes
// run in a session of its own (opt.SharedSession), and returns what it
// will know. ctx ends the reading: cancel it when the solve is over.
func stepMountsOf(ctx context.Context, s Solver, opt *client.SolveOpt) *stepMounts {
	sm := &stepMounts{ready: make(chan struct{})}
	conv, ok := s.(converter)
	sess, err := session.NewSession(ctx, opt.SharedKey)
	switch {
	case !ok:
		err = errNoConverter
	case err == nil:
		opt.SharedSession = sess
	}
	if err != nil {
		sm.err = err
		close(sm.ready)
		return sm
	}
	attrs := maps.Clone(opt.FrontendAttrs)
	attrs["requestid"] = convertllb.RequestConvertLLB
	for name := range opt.LocalMounts {
		if name != "dockerfile" { // read by the frontend only, no op of the LLB
			attrs["local-sessionid:"+name] = sess.ID()
		}
	}
	req := client.SolveOpt{LocalMounts: opt.LocalMounts, Session: opt.Session, AllowedEntitlements: opt.AllowedEntitlements}
	go func() {
		defer close(sm.ready)
		var raw []byte
		_, err := conv.Build(ctx, req, "", func(ctx context.Context, gw gateway.Client) (*gateway.Result, error) {
			res, err := gw.Solve(ctx, gateway.SolveRequest{Frontend: opt.Frontend, FrontendOpt: attrs})
			if err != nil {
				return nil, err
			}
			raw = res.Metadata["result.json"]
			return gateway.NewResult(), nil
		}, nil)
		if err == nil {
			sm.byExec, err = execCacheMounts(raw)
		}
		sm.err = err
	}()
	return sm
}

// of is the cache mount IDs of the step whose vertex v is, once known;
// unknown is true when the solve's LLB is not.
func (sm *stepMounts) of(v *client.Vertex) (ids []string, unknown bool) {
	<-sm.ready
	if sm.byExec == nil {
		return nil, true
	}
	return sm.byExec[v.Digest], false
}

// failed is why the solve's LLB is not known, once the reading is over;
// nil while it is not.
func (sm *stepMounts) failed() error {
	select {
	case <-sm.ready:
		return sm.err
	default:
		return nil
	}
}

// execCacheMounts reads a frontend.convertllb answer: the IDs of the cache
// mounts of each exec op, by the op's digest. A vertex BuildKit runs
// without the cache while another job runs the same op with it carries
// the op's "-ignorecache" digest (solver/jobs.go), mapped too.
func execCacheMounts(raw []byte) (map[digest.Digest][]string, error) {
	var res struct {
		Def map[digest.Digest]json.RawMessage `json:"def"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("read the converted LLB: %w", err)
	}
	out := map[digest.Digest][]string{}
	for dgst, raw := range res.Def {
		var op pb.Op
		if err := protojson.Unmarshal(raw, &op); err != nil {
			return nil, fmt.Errorf("read op %s: %w", dgst, err)
		}
		var ids []string
		for _, m := range op.GetExec().GetMounts() {
			if m.MountType == pb.MountType_CACHE && m.CacheOpt != nil {
				id := m.CacheOpt.ID
				if id == "" {
					id = m.Dest // as BuildKit keys it
				}
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			out[dgst] = ids
			out[digest.FromBytes(fmt.Appendf(nil, "%s-ignorecache", dgst))] = ids
		}
	}
	return out, nil
}
