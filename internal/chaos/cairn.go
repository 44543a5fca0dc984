package chaos

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// runTimeout bounds one cairn process: one that outlives it hangs, which
// the checker reports.
const runTimeout = 4 * time.Minute

// proc is cairn running as a process, which a fault may SIGKILL.
type proc struct {
	name     string // the run id it publishes as, or "recover"
	cmd      *exec.Cmd
	metadata string // its metadata file
	done     chan struct{}
	out      syncBuffer

	mu     sync.Mutex
	killed bool
	hung   bool
	code   int
}

// startCairn runs cairn with args in the project, logged in to the registry.
func (e *env) startCairn(name string, args ...string) (*proc, error) {
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(e.cairn, args...)
	p.cmd.Dir = e.project
	p.cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+e.dockerConfig, "CHAOS_TOKEN="+e.token)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		timer := time.AfterFunc(runTimeout, func() {
			p.mu.Lock()
			p.hung = true
			p.mu.Unlock()
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
		})
		_ = p.cmd.Wait()
		timer.Stop()
		p.mu.Lock()
		p.code = p.cmd.ProcessState.ExitCode()
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// publish starts a `cairn build --push` of run id: its STAMP and label.
func (e *env) publish(id string) (*proc, error) {
	metadata := filepath.Join(e.dir, "metadata-"+id+".json")
	p, err := e.startCairn(id, "build", "--addr", e.daemon.Addr, "--push", "--progress", "plain",
		"--build-arg", "STAMP="+id, "--label", runLabel+"="+id,
		"--secret", "id=tok,env=CHAOS_TOKEN", "--metadata-file", metadata)
	if p != nil {
		p.metadata = metadata
	}
	return p, err
}

// kill SIGKILLs the process unless it has exited.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
}

// wait returns the exit code once the process has exited.
func (p *proc) wait() int {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code
}

func (p *proc) wasKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killed
}

func (p *proc) didHang() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hung
}

// syncBuffer is a buffer that stdout and stderr write to at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
