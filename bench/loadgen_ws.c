/* bench/loadgen_ws: loadgen's own WebSocket client (see loadgen_ws.h for the
 * contract). It owns the socket, the upgrade, the masking of client frames,
 * the per-connection read buffer and the pending output of each connection.
 * It never blocks: every socket is non-blocking on the loop, DNS is never
 * asked (numeric hosts and localhost only). A bench tool, never linked into
 * hark. */
#include "loadgen_ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/base64.h"

#define OBUF_MAX (4u << 20) /* pending output beyond this: the server stopped reading */
#define CLOSE_WAIT_S 2.0    /* our close sent: how long the server's may take */

enum { S_CONNECTING, S_UPGRADING, S_OPEN, S_CLOSING, S_DEAD };

struct lg_ws {
    struct ev_loop *loop;
    lg_ws_opts o;
    int fd, state, busy; /* busy: inside a read; the free waits for its end */
    int werr;            /* a failed send's errno, reported from the write watcher */
    ev_io rio, wio;
    ev_timer timer;      /* connect + upgrade deadline, then the close wait */
    char host[288], path[1024], key[32];
    char *obuf;
    size_t olen, ocap;
    char *msg; /* a fragmented message being joined */
    size_t mlen, mcap;
    int mop;   /* its opcode, -1 when none */
    lg_ws *prev, *next;
    size_t rlen;
    char rbuf[LG_WS_RBUF];
};

static lg_ws *all; /* every live handle, for lg_ws_shutdown */

/* --- masks ------------------------------------------------------------------
 * RFC 6455 wants masks a hostile script cannot predict (against proxy cache
 * poisoning by browser code). loadgen is a bench tool talking to a loopback
 * hark, so a fast PRNG (splitmix64) seeded once from getrandom is enough: the
 * masks still vary per frame and exercise the server's unmasking, without
 * the syscall per frame that made libwebsockets' /dev/urandom reads costly. */
static uint64_t rng_state;
static int rng_seeded;

static uint64_t rng_next(void)
{
    if (!rng_seeded) {
        if (getrandom(&rng_state, sizeof rng_state, GRND_NONBLOCK) != (ssize_t)sizeof rng_state)
            rng_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        rng_seeded = 1;
    }
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* dst = src XOR the 4-byte mask, 8 bytes at a time */
static void mask_copy(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4])
{
    uint64_t m8;
    uint8_t mb[8];
    memcpy(mb, mask, 4);
    memcpy(mb + 4, mask, 4);
    memcpy(&m8, mb, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= m8;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = src[i] ^ mask[i & 3];
}

/* --- the end of a connection ------------------------------------------------- */
static void ws_free(lg_ws *ws)
{
    if (ws->prev) ws->prev->next = ws->next;
    else all = ws->next;
    if (ws->next) ws->next->prev = ws->prev;
    free(ws->obuf);
    free(ws->msg);
    free(ws);
}

static void teardown(lg_ws *ws)
{
    ev_io_stop(ws->loop, &ws->rio);
    ev_io_stop(ws->loop, &ws->wio);
    ev_timer_stop(ws->loop, &ws->timer);
    if (ws->fd >= 0) close(ws->fd);
    ws->fd = -1;
    ws->state = S_DEAD;
}

/* The connection is over: on_close once (not after lg_ws_close), then the
 * handle is freed, at the end of the read that got here if inside one. */
static void finish(lg_ws *ws, int code, const char *reason, int error)
{
    int notify = ws->state != S_CLOSING && ws->state != S_DEAD;
    teardown(ws);
    if (notify && ws->o.on_close) {
        ws->busy++;
        ws->o.on_close(ws->o.ud, code, reason, error);
        ws->busy--;
    }
    if (!ws->busy) ws_free(ws);
}

/* --- writing ------------------------------------------------------------------- */
static void write_failed(lg_ws *ws, int e)
{
    ws->werr = e;
    ws->olen = 0;
    ev_io_start(ws->loop, &ws->wio); /* reported from there, never inside a send */
}

static void out(lg_ws *ws, const void *data, size_t n)
{
    const char *p = data;
    if (ws->werr || ws->fd < 0) return;
    if (!ws->olen) {
        ssize_t w = send(ws->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                write_failed(ws, errno);
                return;
            }
            w = 0;
        }
        p += w;
        n -= (size_t)w;
        if (!n) return;
    }
    if (ws->olen + n > OBUF_MAX) {
        write_failed(ws, ENOBUFS);
        return;
    }
    if (ws->olen + n > ws->ocap) {
        size_t cap = ws->ocap ? ws->ocap * 2 : 4096;
        while (cap < ws->olen + n) cap *= 2;
        char *b = realloc(ws->obuf, cap);
        if (!b) {
            write_failed(ws, ENOMEM);
            return;
        }
        ws->obuf = b;
        ws->ocap = cap;
    }
    memcpy(ws->obuf + ws->olen, p, n);
    ws->olen += n;
    ev_io_start(ws->loop, &ws->wio);
}

/* One masked client frame, FIN set, written with one send when it fits. */
static void put_frame(lg_ws *ws, int op, const void *data, size_t n)
{
    uint8_t stack[4096], *f = stack;
    size_t hl = n < 126 ? 6 : n < 65536 ? 8 : 14;
    if (hl + n > sizeof stack && !(f = malloc(hl + n))) {
        write_failed(ws, ENOMEM);
        return;
    }
    f[0] = (uint8_t)(0x80 | op);
    if (n < 126) f[1] = (uint8_t)(0x80 | n);
    else if (n < 65536) {
        f[1] = 0x80 | 126;
        f[2] = (uint8_t)(n >> 8);
        f[3] = (uint8_t)n;
    } else {
        f[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++) f[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    }
    uint32_t m = (uint32_t)rng_next();
    memcpy(f + hl - 4, &m, 4);
    mask_copy(f + hl, data, n, f + hl - 4);
    out(ws, f, hl + n);
    if (f != stack) free(f);
}

static void put_close(lg_ws *ws, int code, const char *reason, size_t rl)
{
    uint8_t b[125];
    if (rl > sizeof b - 2) rl = sizeof b - 2;
    b[0] = (uint8_t)(code >> 8);
    b[1] = (uint8_t)code;
    if (rl) memcpy(b + 2, reason, rl);
    put_frame(ws, 0x8, b, code ? rl + 2 : 0);
}

int lg_ws_send_text(lg_ws *ws, const char *data, size_t n)
{
    if (!ws || ws->state != S_OPEN || ws->werr) return -1;
    put_frame(ws, 0x1, data, n);
    return 0;
}

size_t lg_ws_queued(const lg_ws *ws) { return ws ? ws->olen : 0; }

/* --- the upgrade ------------------------------------------------------------------ */
static void send_upgrade(lg_ws *ws)
{
    uint8_t raw[16];
    uint64_t a = rng_next(), b = rng_next();
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    hk_base64_encode(raw, sizeof raw, ws->key, sizeof ws->key);
    char req[1536];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://%s\r\n\r\n",
                     ws->path, ws->host, ws->key, ws->host);
    ws->state = S_UPGRADING;
    ev_io_start(ws->loop, &ws->rio);
    if (n > 0 && (size_t)n < sizeof req) out(ws, req, (size_t)n);
}

static void failf(lg_ws *ws, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(lg_ws *ws, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    finish(ws, 0, why, 1);
}

/* The 101 answer in rbuf: its length once whole and right (the connection is
 * open), 0 while incomplete or after failing the connection. */
static size_t upgrade_answer(lg_ws *ws)
{
    const char *end = memmem(ws->rbuf, ws->rlen, "\r\n\r\n", 4);
    if (!end) {
        if (ws->rlen == LG_WS_RBUF) failf(ws, "the upgrade answer is over %d bytes", LG_WS_RBUF);
        return 0;
    }
    const char *eol = memmem(ws->rbuf, (size_t)(end + 2 - ws->rbuf), "\r\n", 2);
    int sl = (int)(eol - ws->rbuf);
    if (sl < 12 || memcmp(ws->rbuf, "HTTP/1.1 101", 12) || (sl > 12 && ws->rbuf[12] != ' ')) {
        failf(ws, "upgrade refused: %.*s", sl > 80 ? 80 : sl, ws->rbuf);
        return 0;
    }
    /* Sec-WebSocket-Accept = base64(SHA1(key + the RFC's GUID)) */
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char kg[64], want[32];
    uint8_t dig[SHA_DIGEST_LENGTH];
    size_t kl = strlen(ws->key);
    memcpy(kg, ws->key, kl);
    memcpy(kg + kl, guid, sizeof guid - 1);
    SHA1((const uint8_t *)kg, kl + sizeof guid - 1, dig);
    hk_base64_encode(dig, sizeof dig, want, sizeof want);
    int ok = 0;
    for (const char *p = eol + 2; p < end + 2 && !ok;) {
        const char *e = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
        static const char h[] = "sec-websocket-accept:";
        if ((size_t)(e - p) > sizeof h - 1 && !strncasecmp(p, h, sizeof h - 1)) {
            const char *v = p + sizeof h - 1, *ve = e;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            ok = (size_t)(ve - v) == strlen(want) && !memcmp(v, want, strlen(want));
            if (!ok) {
                failf(ws, "wrong Sec-WebSocket-Accept");
                return 0;
            }
        }
        p = e + 2;
    }
    if (!ok) {
        failf(ws, "no Sec-WebSocket-Accept in the 101 answer");
        return 0;
    }
    ev_timer_stop(ws->loop, &ws->timer);
    ws->state = S_OPEN;
    if (ws->o.on_open) ws->o.on_open(ws->o.ud);
    return (size_t)(end + 4 - ws->rbuf);
}

/* --- reading ------------------------------------------------------------------- */
/* This end fails the connection: a close frame with code when open. */
static void protocol_error(lg_ws *ws, int code, const char *why)
{
    if (ws->state == S_OPEN) put_close(ws, code, why, strlen(why));
    finish(ws, 0, why, 1);
}

static void deliver(lg_ws *ws, const char *data, size_t n, int binary)
{
    if (ws->state == S_OPEN && ws->o.on_message) ws->o.on_message(ws->o.ud, data, n, binary);
}

static void on_frame(lg_ws *ws, int fin, int op, const char *pl, size_t n)
{
    if (op & 0x8) { /* control frames: whole, short, possibly between fragments */
        if (!fin || n > 125) {
            protocol_error(ws, 1002, "a fragmented or long control frame");
            return;
        }
        if (op == 0x8) {
            int code = n >= 2 ? ((uint8_t)pl[0] << 8 | (uint8_t)pl[1]) : 0;
            char reason[128];
            size_t rl = n > 2 ? n - 2 : 0;
            memcpy(reason, pl + (n >= 2 ? 2 : n), rl);
            reason[rl] = 0;
            if (ws->state == S_OPEN) put_close(ws, code, NULL, 0); /* echo the code back */
            finish(ws, code, reason, 0);
        } else if (op == 0x9) {
            if (ws->state == S_OPEN) put_frame(ws, 0xA, pl, n);
        } else if (op != 0xA) {
            protocol_error(ws, 1002, "an unknown control opcode");
        }
        return;
    }
    if (op == 0x1 || op == 0x2) {
        if (ws->mop >= 0) {
            protocol_error(ws, 1002, "a new message inside a fragmented one");
            return;
        }
        if (fin) {
            deliver(ws, pl, n, op == 0x2);
            return;
        }
        ws->mop = op;
        ws->mlen = 0;
    } else if (op != 0x0) {
        protocol_error(ws, 1002, "an unknown data opcode");
        return;
    } else if (ws->mop < 0) {
        protocol_error(ws, 1002, "a continuation frame outside a message");
        return;
    }
    if (ws->mlen + n > LG_WS_MSG_MAX) {
        protocol_error(ws, 1009, "a fragmented message over 1 MB");
        return;
    }
    if (ws->mlen + n > ws->mcap) {
        size_t cap = ws->mcap ? ws->mcap : 4096;
        while (cap < ws->mlen + n) cap *= 2;
        char *m = realloc(ws->msg, cap);
        if (!m) {
            protocol_error(ws, 1011, "out of memory joining a message");
            return;
        }
        ws->msg = m;
        ws->mcap = cap;
    }
    if (n) memcpy(ws->msg + ws->mlen, pl, n);
    ws->mlen += n;
    if (fin) {
        int binary = ws->mop == 0x2;
        ws->mop = -1;
        deliver(ws, ws->msg, ws->mlen, binary);
        ws->mlen = 0;
    }
}

/* Every whole frame in rbuf; a partial one stays at its front. */
static void parse(lg_ws *ws)
{
    size_t off = 0;
    if (ws->state == S_UPGRADING && !(off = upgrade_answer(ws))) return;
    while (ws->state == S_OPEN || ws->state == S_CLOSING) {
        const uint8_t *p = (const uint8_t *)ws->rbuf + off;
        size_t avail = ws->rlen - off, hl = 2;
        if (avail < 2) break;
        uint64_t len = p[1] & 0x7f;
        if (len == 126) {
            if (avail < 4) break;
            len = (uint64_t)p[2] << 8 | p[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
            hl = 10;
        }
        if (p[0] & 0x70) {
            protocol_error(ws, 1002, "reserved bits set in a frame");
            return;
        }
        if (p[1] & 0x80) {
            protocol_error(ws, 1002, "a masked frame from the server");
            return;
        }
        if (len > LG_WS_RBUF - hl) {
            char why[96];
            snprintf(why, sizeof why, "a frame of %llu bytes, over the %d-byte read buffer",
                     (unsigned long long)len, LG_WS_RBUF);
            protocol_error(ws, 1009, why);
            return;
        }
        if (avail < hl + len) break;
        off += hl + (size_t)len;
        on_frame(ws, p[0] & 0x80, p[0] & 0x0f, (const char *)p + hl, (size_t)len);
    }
    if (ws->state == S_DEAD) return;
    if (off) {
        memmove(ws->rbuf, ws->rbuf + off, ws->rlen - off);
        ws->rlen -= off;
    }
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    lg_ws *ws = (lg_ws *)((char *)w - offsetof(lg_ws, rio));
    ssize_t r = recv(ws->fd, ws->rbuf + ws->rlen, LG_WS_RBUF - ws->rlen, 0);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        finish(ws, 0, strerror(errno), 0);
        return;
    }
    if (r == 0) {
        finish(ws, 0, ws->state == S_UPGRADING ? "closed before the upgrade answer" : "connection dropped", 0);
        return;
    }
    ws->rlen += (size_t)r;
    ws->busy++;
    parse(ws);
    ws->busy--;
    if (ws->state == S_DEAD && !ws->busy) ws_free(ws);
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    lg_ws *ws = (lg_ws *)((char *)w - offsetof(lg_ws, wio));
    if (ws->state == S_CONNECTING) {
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(ws->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) e = errno;
        if (e) {
            failf(ws, "connect: %s", strerror(e));
            return;
        }
        ev_io_stop(loop, w);
        send_upgrade(ws);
        return;
    }
    if (ws->werr) {
        int e = ws->werr;
        if (ws->state == S_CLOSING) finish(ws, 0, NULL, 0);
        else if (e == ENOBUFS || e == ENOMEM)
            failf(ws, "send: %s (the server stopped reading?)", strerror(e));
        else finish(ws, 0, strerror(e), 0);
        return;
    }
    while (ws->olen) {
        ssize_t n = send(ws->fd, ws->obuf, ws->olen, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            ws->werr = errno;
            ws->olen = 0;
            return; /* reported on the next call: the watcher stays on */
        }
        memmove(ws->obuf, ws->obuf + n, ws->olen - (size_t)n);
        ws->olen -= (size_t)n;
    }
    ev_io_stop(loop, w);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    lg_ws *ws = (lg_ws *)((char *)w - offsetof(lg_ws, timer));
    if (ws->state == S_CLOSING) finish(ws, 0, NULL, 0);
    else failf(ws, "no upgrade within %.0f s", ws->o.connect_timeout_s);
}

/* --- opening and closing ------------------------------------------------------------ */
static lg_ws *ws_new(struct ev_loop *loop, int fd, const lg_ws_opts *o)
{
    lg_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->loop = loop;
    ws->o = *o;
    ws->o.url = NULL; /* not kept */
    if (ws->o.connect_timeout_s <= 0) ws->o.connect_timeout_s = 10;
    ws->fd = fd;
    ws->mop = -1;
    ev_io_init(&ws->rio, on_readable, fd, EV_READ);
    ev_io_init(&ws->wio, on_writable, fd, EV_WRITE);
    ev_timer_init(&ws->timer, on_timer, ws->o.connect_timeout_s, 0);
    ev_timer_start(loop, &ws->timer);
    ws->next = all;
    if (all) all->prev = ws;
    all = ws;
    return ws;
}

lg_ws *lg_ws_adopt(struct ev_loop *loop, int fd, const char *host, const char *path,
                   const lg_ws_opts *o)
{
    lg_ws *ws = ws_new(loop, fd, o);
    if (!ws) {
        close(fd);
        return NULL;
    }
    snprintf(ws->host, sizeof ws->host, "%s", host);
    snprintf(ws->path, sizeof ws->path, "%s", path);
    send_upgrade(ws);
    return ws;
}

lg_ws *lg_ws_connect(struct ev_loop *loop, const lg_ws_opts *o, char *err, size_t errlen)
{
    const char *u = o->url ? o->url : "";
    if (!strncasecmp(u, "wss://", 6)) {
        snprintf(err, errlen, "%s: wss:// is not supported (loadgen drives a loopback hark over ws://)", u);
        return NULL;
    }
    if (strncasecmp(u, "ws://", 5)) {
        snprintf(err, errlen, "%s: not a ws:// URL", u);
        return NULL;
    }
    const char *h = u + 5, *he = h + strcspn(h, "/?#");
    char host[256], hostport[288];
    int port = 80;
    if ((size_t)(he - h) >= sizeof host || he == h) {
        snprintf(err, errlen, "%s: bad host", u);
        return NULL;
    }
    snprintf(hostport, sizeof hostport, "%.*s", (int)(he - h), h);
    const char *colon = NULL, *hs = h, *hz;
    if (*h == '[') { /* [v6]:port */
        hs = h + 1;
        hz = memchr(hs, ']', (size_t)(he - hs));
        if (!hz) {
            snprintf(err, errlen, "%s: bad host", u);
            return NULL;
        }
        if (hz + 1 < he && hz[1] == ':') colon = hz + 1;
    } else {
        colon = memchr(h, ':', (size_t)(he - h));
        hz = colon ? colon : he;
    }
    if (colon) {
        char *pe;
        long p = strtol(colon + 1, &pe, 10);
        if (pe != he || p < 1 || p > 65535) {
            snprintf(err, errlen, "%s: bad port", u);
            return NULL;
        }
        port = (int)p;
    }
    snprintf(host, sizeof host, "%.*s", (int)(hz - hs), hs);
    struct sockaddr_storage sa;
    socklen_t sl;
    memset(&sa, 0, sizeof sa);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    if (!strcasecmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        sl = sizeof *s4;
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        sl = sizeof *s6;
    } else {
        snprintf(err, errlen, "%s: host %s is not a numeric address or localhost (no DNS on the loop)", u, host);
        return NULL;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return NULL;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sl) < 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "connect %s: %s", hostport, strerror(errno));
        close(fd);
        return NULL;
    }
    lg_ws *ws = ws_new(loop, fd, o);
    if (!ws) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(ws->host, sizeof ws->host, "%s", hostport);
    snprintf(ws->path, sizeof ws->path, "%s%s", *he == '/' ? "" : "/", he);
    ws->state = S_CONNECTING;
    ev_io_start(loop, &ws->wio);
    return ws;
}

void lg_ws_close(lg_ws *ws)
{
    if (!ws || ws->state == S_DEAD || ws->state == S_CLOSING) return;
    if (ws->state != S_OPEN || ws->werr) {
        ws->state = S_CLOSING; /* no on_close */
        finish(ws, 0, NULL, 0);
        return;
    }
    put_close(ws, 1000, NULL, 0);
    ws->state = S_CLOSING;
    ev_timer_stop(ws->loop, &ws->timer);
    ev_timer_set(&ws->timer, CLOSE_WAIT_S, 0);
    ev_timer_start(ws->loop, &ws->timer);
}

void lg_ws_shutdown(void)
{
    while (all) {
        lg_ws *ws = all;
        ws->busy = 0;
        finish(ws, 0, "shutdown", 0);
    }
}
