//go:build linux

package netpoll

// KernelFDs exposes the poller's own fds so tests can check who closed them.
func (p *Poller) KernelFDs() []int {
	fds := []int{p.epfd, p.wakefd}
	if p.park != nil {
		fds = append(fds, p.park.fd)
	}
	return fds
}
