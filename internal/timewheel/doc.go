// Package timewheel is a hashed timing wheel for one event loop: the ping
// period, pong timeout, handshake and close deadlines of every session on
// the loop share one [Wheel] instead of a time.Timer each.
//
// A [Timer] is an intrusive list node that the caller embeds by value in
// its per-session struct, so arming, moving and stopping a timer allocate
// nothing and cost O(1). [Wheel.Advance], called by the loop after each
// poller wait, fires the expired timers through one callback and returns
// how long the poller may sleep.
//
// A Wheel and its Timers are not safe for concurrent use: the loop
// goroutine that owns the wheel must make every call. Other goroutines ask
// the loop (for example through its wake-up channel) to arm or stop timers.
package timewheel
