package main

import (
	"strings"
	"sync"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
	"github.com/surgews/surge/topic"
)

// roomPrefix is the path under which rooms live: /room/lobby is room "lobby".
const roomPrefix = "/room/"

// rooms is the chat's event-style handler. Each room is a topic of the hub:
// the hub keeps who is in which room, ends a session's membership with the
// session, and carries the room's messages to the other chat processes
// when it has a broker. members counts the sessions of each room on this
// process, for tests and nothing else.
type rooms struct {
	session.NopHandler
	hub *topic.Hub

	mu      sync.Mutex
	members map[string]int // room name → its sessions here
}

// roomOf returns the room of a session, "" for a path that names none.
func roomOf(s *session.Session) string {
	p := s.Request().Path
	if !strings.HasPrefix(p, roomPrefix) {
		return ""
	}
	return p[len(roomPrefix):]
}

// OnOpen puts the session in its room.
func (r *rooms) OnOpen(s *session.Session) {
	room := roomOf(s)
	if room == "" {
		_ = s.Close(session.CloseReason{Code: frame.ClosePolicyViolation, Reason: "use /room/<name>"})
		return
	}
	if err := r.hub.Subscribe(s, room); err != nil {
		_ = s.Close(session.CloseReason{Code: frame.CloseInternalError, Reason: "cannot join the room"})
		return
	}
	s.SetValue(room) // OnClose counts it out
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members == nil {
		r.members = map[string]int{}
	}
	r.members[room]++
}

// OnClose counts the session out of its room; the hub has already ended its
// subscription.
func (r *rooms) OnClose(s *session.Session, _ session.CloseReason) {
	room, ok := s.Value().(string)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members[room]--; r.members[room] <= 0 {
		delete(r.members, room)
	}
}

// OnMessage publishes the message to everyone in the sender's room, the
// sender included, so every client of a process sees one order of messages.
// The hub encodes it once for all of them; a client that does not read has
// the frames meant for it dropped (session.BackpressureDrop), so nobody
// else is held up.
func (r *rooms) OnMessage(s *session.Session, f session.Frame) {
	if room, ok := s.Value().(string); ok {
		_ = r.hub.Publish(room, f.Op, f.Payload, nil)
	}
}

// count returns how many sessions of this process are in room.
func (r *rooms) count(room string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.members[room]
}
