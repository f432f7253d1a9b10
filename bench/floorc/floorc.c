// floorc is bench/cmd/floorecho -io epoll-sock written in C: the floor of
// what a WebSocket echo costs on this kernel without any language runtime.
// It is a reference, not a library, and shares no code with surge or the
// peers.
//
//	cc -O2 -o floorc bench/floorc/floorc.c && ./floorc -addr 127.0.0.1:0
//
// One thread on level-triggered epoll; per readable connection one recv(2)
// into a shared 64 KiB buffer, every complete frame unmasked in place, and
// one send(2) of all the answers. Data frames are echoed frame by frame,
// pings get pongs, a close is echoed and the connection closed. The
// handshake checks nothing but the key. It validates no UTF-8, reserved
// bits, control-frame sizes or fragment order: it is not a conforming
// server and must never be measured as one.
//
// It prints "echoserver lib=floor-c pid=PID addr=HOST:PORT" once it
// listens, the line bench's scripts read, and serves until killed; SIGUSR1
// and SIGUSR2 (the harness's snapshot signals) are ignored.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { RBUF = 64 << 10, MAXREQ = 8 << 10, MAXLEN = 1 << 30 };

struct conn {
	int fd, upgraded, closing;
	unsigned char *pend; // bytes of an incomplete request or frame
	size_t npend, cpend;
	unsigned char *unsent; // what a send left over; EPOLLOUT is watched while it is
	size_t nunsent, cunsent;
};

static struct conn **conns; // by fd
static size_t nconns;
static unsigned char rbuf[RBUF];
static unsigned char *out; // the answers to one read
static size_t nout, cout;

static void reserve(unsigned char **b, size_t *cap, size_t need) {
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 4096;
	while (c < need)
		c *= 2;
	unsigned char *p = realloc(*b, c);
	if (!p) {
		perror("floorc: realloc");
		exit(1);
	}
	*b = p;
	*cap = c;
}

static void put(const void *p, size_t n) {
	reserve(&out, &cout, nout + n);
	memcpy(out + nout, p, n);
	nout += n;
}

static uint32_t rol(uint32_t x, int n) { return x << n | x >> (32 - n); }

// sha1 is FIPS 180-4 SHA-1, for the handshake's accept key only.
static void sha1(const unsigned char *msg, size_t len, unsigned char dig[20]) {
	uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
	size_t total = (len + 8) / 64 * 64 + 64;
	unsigned char *buf = calloc(total, 1);
	if (!buf) {
		perror("floorc: calloc");
		exit(1);
	}
	memcpy(buf, msg, len);
	buf[len] = 0x80;
	for (int i = 0; i < 8; i++)
		buf[total - 1 - i] = (unsigned char)((uint64_t)len * 8 >> (8 * i));
	for (size_t off = 0; off < total; off += 64) {
		uint32_t w[80];
		for (int i = 0; i < 16; i++) {
			const unsigned char *q = buf + off + 4 * i;
			w[i] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
		}
		for (int i = 16; i < 80; i++)
			w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
		for (int i = 0; i < 80; i++) {
			uint32_t f, k;
			if (i < 20) {
				f = (b & c) | (~b & d);
				k = 0x5A827999;
			} else if (i < 40) {
				f = b ^ c ^ d;
				k = 0x6ED9EBA1;
			} else if (i < 60) {
				f = (b & c) | (b & d) | (c & d);
				k = 0x8F1BBCDC;
			} else {
				f = b ^ c ^ d;
				k = 0xCA62C1D6;
			}
			uint32_t t = rol(a, 5) + f + e + k + w[i];
			e = d;
			d = c;
			c = rol(b, 30);
			b = a;
			a = t;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
	}
	free(buf);
	for (int i = 0; i < 5; i++) {
		dig[4 * i] = h[i] >> 24;
		dig[4 * i + 1] = h[i] >> 16;
		dig[4 * i + 2] = h[i] >> 8;
		dig[4 * i + 3] = h[i];
	}
}

static size_t base64(const unsigned char *in, size_t n, char *o) {
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t j = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
		o[j++] = t[v >> 18 & 63];
		o[j++] = t[v >> 12 & 63];
		o[j++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		o[j++] = i + 2 < n ? t[v & 63] : '=';
	}
	return j;
}

// accept appends the 101 answer to the request head req; -1 without a key.
static int accept_req(const unsigned char *req, size_t n) {
	static const char name[] = "sec-websocket-key:", guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	const unsigned char *line = req, *end = req + n;
	while (line < end) {
		const unsigned char *eol = memmem(line, end - line, "\r\n", 2);
		if (!eol)
			eol = end;
		size_t len = eol - line;
		if (len > sizeof name - 1 && strncasecmp((const char *)line, name, sizeof name - 1) == 0) {
			const unsigned char *k = line + sizeof name - 1, *ke = eol;
			while (k < ke && (*k == ' ' || *k == '\t'))
				k++;
			while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			size_t kn = ke - k;
			unsigned char *m = malloc(kn + sizeof guid - 1), dig[20];
			if (!m) {
				perror("floorc: malloc");
				exit(1);
			}
			memcpy(m, k, kn);
			memcpy(m + kn, guid, sizeof guid - 1);
			sha1(m, kn + sizeof guid - 1, dig);
			free(m);
			char acc[28];
			static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
			put(head, sizeof head - 1);
			put(acc, base64(dig, 20, acc));
			put("\r\n\r\n", 4);
			return 0;
		}
		line = eol + 2;
	}
	return -1;
}

// unmask XORs p with the 4-byte key, eight bytes at a time.
static void unmask(unsigned char *p, size_t n, const unsigned char key[4]) {
	uint32_t k4;
	memcpy(&k4, key, 4);
	uint64_t k = (uint64_t)k4 << 32 | k4;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		v ^= k;
		memcpy(p + i, &v, 8);
	}
	for (; i < n; i++)
		p[i] ^= key[i & 3];
}

// frame appends an unmasked server frame with first byte b0.
static void frame(unsigned char b0, const unsigned char *p, uint64_t n) {
	unsigned char h[10];
	size_t hn;
	h[0] = b0;
	if (n < 126) {
		h[1] = n;
		hn = 2;
	} else if (n < 1 << 16) {
		h[1] = 126;
		h[2] = n >> 8;
		h[3] = n;
		hn = 4;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = n >> (56 - 8 * i);
		hn = 10;
	}
	put(h, hn);
	put(p, n);
}

// keep makes data (which may point into c->pend) c's pending bytes.
static void keep(struct conn *c, const unsigned char *data, size_t n) {
	if (n > 0 && data != c->pend) {
		reserve(&c->pend, &c->cpend, n); // no move when data points into it: n fits
		memmove(c->pend, data, n);
	}
	c->npend = n;
}

// serve consumes n bytes read from c, unmasking them in place, and appends
// the answers to out; -1 ends the connection.
static int serve(struct conn *c, unsigned char *data, size_t n) {
	if (c->npend) {
		reserve(&c->pend, &c->cpend, c->npend + n);
		memcpy(c->pend + c->npend, data, n);
		n += c->npend;
		data = c->pend;
	}
	if (!c->upgraded) {
		unsigned char *end = memmem(data, n, "\r\n\r\n", 4);
		if (!end) {
			if (n > MAXREQ)
				return -1;
			keep(c, data, n);
			return 0;
		}
		if (accept_req(data, end - data) < 0)
			return -1;
		c->upgraded = 1;
		size_t used = end - data + 4;
		data += used;
		n -= used;
	}
	while (!c->closing && n >= 2) {
		unsigned char b0 = data[0], b1 = data[1];
		if (!(b1 & 0x80))
			return -1; // clients must mask
		size_t h = 2;
		uint64_t len = b1 & 0x7f;
		if (len == 126)
			h = 4;
		else if (len == 127)
			h = 10;
		if (n < h + 4)
			break;
		if (h == 4)
			len = (uint64_t)data[2] << 8 | data[3];
		else if (h == 10) {
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | data[2 + i];
		}
		if (len > MAXLEN)
			return -1;
		if (n - h - 4 < len)
			break;
		unsigned char *p = data + h + 4;
		unmask(p, len, data + h);
		switch (b0 & 0x0f) {
		case 0x9: // ping: pong
			frame(0x80 | 0xA, p, len);
			break;
		case 0xA: // pong: nothing
			break;
		case 0x8: // close: echo it, then close
			frame(0x80 | 0x8, p, len);
			c->closing = 1;
			break;
		default:
			frame(b0, p, len);
		}
		data += h + 4 + len;
		n -= h + 4 + len;
	}
	keep(c, data, n);
	return 0;
}

static void drop(int ep, struct conn *c) {
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	free(c->pend);
	free(c->unsent);
	free(c);
}

// flush sends what was left over; -1 means the connection is done.
static int flush(int ep, struct conn *c) {
	ssize_t w = send(c->fd, c->unsent, c->nunsent, MSG_NOSIGNAL);
	if (w < 0 && errno != EAGAIN)
		return -1;
	if (w < 0)
		w = 0;
	memmove(c->unsent, c->unsent + w, c->nunsent - w);
	c->nunsent -= w;
	if (c->nunsent > 0)
		return 0;
	if (c->closing)
		return -1;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->fd};
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void accept_all(int ep, int lfd) {
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; // EAGAIN, or a connection that died in the queue
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		if ((size_t)fd >= nconns) {
			size_t n = nconns ? nconns : 1024;
			while (n <= (size_t)fd)
				n *= 2;
			struct conn **p = realloc(conns, n * sizeof *p);
			if (!p) {
				perror("floorc: realloc");
				exit(1);
			}
			memset(p + nconns, 0, (n - nconns) * sizeof *p);
			conns = p;
			nconns = n;
		}
		struct conn *c = calloc(1, sizeof *c);
		if (!c) {
			perror("floorc: calloc");
			exit(1);
		}
		c->fd = fd;
		conns[fd] = c;
	}
}

int main(int argc, char **argv) {
	const char *addr = "127.0.0.1:0";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-addr") == 0 && i + 1 < argc) {
			addr = argv[++i];
		} else {
			fprintf(stderr, "usage: floorc [-addr IPv4:port]\n");
			return 2;
		}
	}
	char host[64];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	if (!colon || (size_t)(colon - addr) >= sizeof host) {
		fprintf(stderr, "floorc: -addr %s: want IPv4 host:port\n", addr);
		return 2;
	}
	memcpy(host, addr, colon - addr);
	host[colon - addr] = 0;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "floorc: -addr %s: want IPv4 host:port\n", addr);
		return 2;
	}
	sa.sin_port = htons(atoi(colon + 1));
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	socklen_t sl = sizeof sa;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("floorc: listen");
		return 1;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
		perror("floorc: epoll");
		return 1;
	}
	printf("echoserver lib=floor-c pid=%d addr=%s:%d\n", (int)getpid(), host, ntohs(sa.sin_port));
	fflush(stdout);
	struct epoll_event evs[256];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("floorc: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint32_t e = evs[i].events;
			if (fd == lfd) {
				accept_all(ep, lfd);
				continue;
			}
			struct conn *c = (size_t)fd < nconns ? conns[fd] : NULL;
			if (!c)
				continue;
			if (e & EPOLLOUT && c->nunsent > 0 && flush(ep, c) < 0) {
				drop(ep, c);
				continue;
			}
			if (!(e & (EPOLLIN | EPOLLERR | EPOLLHUP)) || c->closing)
				continue;
			ssize_t r = recv(fd, rbuf, RBUF, 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				drop(ep, c);
				continue;
			}
			nout = 0;
			if (serve(c, rbuf, r) < 0) {
				drop(ep, c);
				continue;
			}
			if (nout > 0) {
				if (c->nunsent > 0) { // still waiting for room: queue behind it
					reserve(&c->unsent, &c->cunsent, c->nunsent + nout);
					memcpy(c->unsent + c->nunsent, out, nout);
					c->nunsent += nout;
					continue;
				}
				ssize_t w = send(fd, out, nout, MSG_NOSIGNAL);
				if (w < 0 && errno != EAGAIN) {
					drop(ep, c);
					continue;
				}
				if (w < 0)
					w = 0;
				if ((size_t)w < nout) {
					reserve(&c->unsent, &c->cunsent, nout - w);
					memcpy(c->unsent, out + w, nout - w);
					c->nunsent = nout - w;
					struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
					epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
					continue;
				}
			}
			if (c->closing)
				drop(ep, c);
		}
	}
}
