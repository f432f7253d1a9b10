//go:build linux

package netpoll

// KernelFDs exposes the poller's own fds so tests can check who closed them.
func (p *Poller) KernelFDs() []int { return []int{p.epfd, p.wakefd} }
