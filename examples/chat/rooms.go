package main

import (
	"context"
	"strings"
	"sync"

	"github.com/surgews/surge/frame"
	"github.com/surgews/surge/session"
)

// roomPrefix is the path under which rooms live: /room/lobby is room "lobby".
const roomPrefix = "/room/"

// rooms is the chat's event-style handler and its registry of who is in
// which room. Handlers run inline on the event loops, several at once, so the
// registry is under a mutex. The zero value is an empty registry.
type rooms struct {
	session.NopHandler

	mu      sync.Mutex
	members map[string][]*session.Session // room name → its sessions
}

// roomOf returns the room of a session, "" for a path that names none.
func roomOf(s *session.Session) string {
	return strings.TrimPrefix(s.Request().Path, roomPrefix)
}

// OnOpen puts the session in its room.
func (r *rooms) OnOpen(s *session.Session) {
	room := roomOf(s)
	if room == "" || !strings.HasPrefix(s.Request().Path, roomPrefix) {
		_ = s.Close(session.CloseReason{Code: frame.ClosePolicyViolation, Reason: "use /room/<name>"})
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.members == nil {
		r.members = map[string][]*session.Session{}
	}
	// Copy on write: a broadcast holds the old slice without the lock.
	old := r.members[room]
	r.members[room] = append(old[:len(old):len(old)], s)
}

// OnClose takes the session out of its room.
func (r *rooms) OnClose(s *session.Session, _ session.CloseReason) {
	room := roomOf(s)
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.members[room]
	kept := make([]*session.Session, 0, len(old))
	for _, m := range old {
		if m != s {
			kept = append(kept, m)
		}
	}
	if len(kept) == 0 {
		delete(r.members, room)
		return
	}
	r.members[room] = kept
}

// OnMessage sends the message to everyone in the sender's room, the sender
// included, so every client sees one order of messages. The server runs with
// session.BackpressureDrop: Send never waits for a slow peer, it drops the
// copy meant for that peer instead, so nobody else is held up.
func (r *rooms) OnMessage(s *session.Session, f session.Frame) {
	r.mu.Lock()
	peers := r.members[roomOf(s)]
	r.mu.Unlock()
	for _, p := range peers {
		_ = p.Send(context.Background(), f.Clone())
	}
}

// count returns how many sessions are in room.
func (r *rooms) count(room string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members[room])
}
