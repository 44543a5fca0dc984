package push

import (
	"os/exec"
	"testing"
	"time"
)

func TestRecordLive(t *testing.T) {
	me := newOwner()
	if me.PIDNamespace == "" {
		t.Fatal("no pid namespace on Linux: the dead-owner rule cannot be tested")
	}
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	other := newOwner() // another call of this process: alive
	dead := me
	dead.ID, dead.PID = "dead", exited.Process.Pid
	elsewhere := dead
	elsewhere.PIDNamespace = "another-machine/pid:[1]"
	now := time.Now()
	tests := []struct {
		name  string
		state recordState
		owner Owner
		age   time.Duration
		live  bool
	}{
		{"fresh moving", stateMoving, other, time.Second, true},
		{"fresh locked", stateLocked, other, time.Second, true},
		{"stale moving", stateMoving, other, 2 * time.Minute, false},
		{"done", stateDone, other, time.Second, false},
		{"abandoned", stateAbandoned, other, time.Second, false},
		{"fresh, its process exited", stateMoving, dead, time.Second, false},
		{"fresh, pid of another namespace", stateMoving, elsewhere, time.Second, true},
		{"stale, pid of another namespace", stateMoving, elsewhere, 2 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &record{State: tt.state, Owner: tt.owner, Heartbeat: now.Add(-tt.age)}
			if got := r.live(now, me, time.Minute); got != tt.live {
				t.Errorf("live = %v, want %v", got, tt.live)
			}
		})
	}
}
