package push

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// Owner is the publisher that holds, or last held, a repository's commit
// record: one Commit or Recover call of a process on a machine.
type Owner struct {
	ID   string `json:"id"` // random, one per call
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// PIDNamespace names the machine's boot and the process's pid namespace,
	// "" where unknown: a publisher that shares it can tell by the pid
	// whether the owner still runs.
	PIDNamespace string `json:"pidNamespace,omitempty"`
}

func newOwner() Owner {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	host, _ := os.Hostname()
	return Owner{ID: hex.EncodeToString(b[:]), Host: host, PID: os.Getpid(), PIDNamespace: pidNamespace()}
}

func (o Owner) String() string { return fmt.Sprintf("pid %d on %s", o.PID, o.Host) }

// gone reports whether o is a process that me can see has exited: one of
// the same pid namespace whose pid no longer runs. A process of another
// machine or container is never seen gone; its heartbeat's age tells.
func (o Owner) gone(me Owner) bool {
	return me.PIDNamespace != "" && o.PIDNamespace == me.PIDNamespace && o.PID != me.PID && !processAlive(o.PID)
}
