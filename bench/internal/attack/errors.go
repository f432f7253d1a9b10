package attack

import "errors"

// ErrHandshake is returned when a server does not answer an attack
// client's opening handshake with 101 Switching Protocols.
var ErrHandshake = errors.New("attack: handshake refused")

// ErrServerLine is returned by Spawn when the server process ends or
// prints something else before its "addr=HOST:PORT pid=PID" line.
var ErrServerLine = errors.New("attack: no address line from the server")

// ErrNoProc is returned by Probe when /proc has no figures for the process
// (not Linux, or the process is gone).
var ErrNoProc = errors.New("attack: no /proc figures")

// ErrUnknownAttack is returned by Suite.Run for an attack name not in
// AttackNames.
var ErrUnknownAttack = errors.New("attack: unknown attack")
