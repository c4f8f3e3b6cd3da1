#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""aioquic_peer: an HTTP/3 client and server on aioquic, a foreign QUIC stack
for the interop cases of IPPROTO_QUIC (it takes the command line of
tools/quic/quic_h3, so a test can run either one on either side):

  aioquic_peer.py server [-6] --cert F --key F [--cipher C] [--retry] [--count N]
                        [--version 1|2] ADDR PORT DIR
  aioquic_peer.py client [-6] [--cipher C] [--no-verify | --cafile F] [--sni NAME]
                        [--version 1|2] [--session-file F] [--zerortt] [--key-update]
                        -o OUT ADDR PORT PATH [PATH...]

C is aes128gcm, aes256gcm or chacha20: the only TLS 1.3 cipher suite offered
or accepted.  ALPN is "h3".  -6 resolves ADDR as an IPv6 address.

The server answers GET /NAME with the file DIR/NAME (200, with
content-length), 404 when there is none, 405 for other methods.  --retry
sends a Retry to every new client.  --version 1 speaks QUIC v1 only;
--version 2 speaks v2 and v1 and prefers v2, switching a v1 client that
offers v2 to it (compatible version negotiation, RFC 9368).  It issues
session tickets, kept in memory, and accepts 0-RTT.  --count N: exit once N
connections have ended, 0 when each of them was closed by the peer without
an error after every answer went out, else 1; without it the server runs
until killed.

The client sends a GET for every PATH at once, each on a request stream of
its own, and writes the body to OUT (one PATH) or OUT/basename(PATH) (more;
OUT is a directory then).  It exits 0 only when every answer has status
200 and a complete body (as long as content-length says).  --version 1
speaks v1 only; --version 2 starts with v2 and can fall back to v1 on a
Version Negotiation.  --session-file F resumes with the ticket saved in F,
when there is one, and saves the newest ticket of this connection to F.
--zerortt sends the requests as 0-RTT data when a ticket allows it (without
it, a loaded ticket is used for resumption only: the client does not offer
early data).  --key-update starts a key update once half of the first
answer's body has arrived.

Both print "conn VERSION CIPHER resumed=yes|no 0rtt=yes|no" on stdout once
the handshake of a connection is done (VERSION is 1 or 2, CIPHER one of the
names above), the client then "PATH STATUS BYTES" for every PATH.  0rtt=yes
means the server accepted early data (and the client, without --zerortt,
never offers it).  At the end of each connection, a line starting with "#"
on stderr tells whether a Retry was sent (server) or taken (client), the
key updates seen (local and remote initiated) and how the connection was
closed.  Either gives up with exit 1 after 60 seconds
without a datagram received (the server only with --count).

Environment: AIOQUIC_PEER_DEBUG=1 turns on aioquic's debug log (stderr);
AIOQUIC_PEER_QLOG=DIR writes a qlog file per connection to DIR.

  aioquic_peer.py forkserver DIR

Python and aioquic take about 10 s to start under emulation (a TCG guest),
longer than most interop cells take with a native peer.  The fork server
pays that once: it imports everything, then runs each client or server
that a caller asks for in a child forked from it.  A caller (see
tools/quic/aioquic-selftest.sh) makes a directory REQ, writes the command
line into REQ/args (NUL-terminated words), makes the FIFO REQ/ret and holds
it open, then writes "PID REQ" to the FIFO DIR/ctl, PID being its own
process.  The child takes PID's network namespace and PID's stdin, stdout
and stderr (setns() and pidfd_getfd() on a pidfd of PID), and the
AIOQUIC_PEER_* variables of PID's environment; so it runs as if PID had
executed aioquic_peer.py itself.  The server writes "pid N" (the child)
or "error WHY" to REQ/ret, then the child's status ("exit N" or "signal
N") once it ended, and closes REQ/ret.  It needs root (setns,
pidfd_getfd) and a kernel of 5.8 or later.
"""

import argparse
import asyncio
import ctypes
import dataclasses
import errno
import gc
import logging
import os
import pickle
import select
import signal
import socket
import ssl
import sys
import traceback

from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.crypto import CryptoPair
from aioquic.quic.events import ConnectionTerminated, HandshakeCompleted, ProtocolNegotiated
from aioquic.quic.packet import QuicProtocolVersion
from aioquic.tls import CipherSuite, Epoch

IDLE_LIMIT = 60.0  # seconds without a datagram before giving up
TICKET_WAIT = 2.0  # seconds to wait for a session ticket at the end
H3_NO_ERROR = 0x100
READ_CHUNK = 1 << 20

CIPHERS = {
    "aes128gcm": CipherSuite.AES_128_GCM_SHA256,
    "aes256gcm": CipherSuite.AES_256_GCM_SHA384,
    "chacha20": CipherSuite.CHACHA20_POLY1305_SHA256,
}
CIPHER_NAMES = {v: k for k, v in CIPHERS.items()}
VERSION_NAMES = {
    QuicProtocolVersion.VERSION_1: "1",
    QuicProtocolVersion.VERSION_2: "2",
}

prog = "aioquic_peer"


def say(msg):
    print(f"{prog}: {msg}", file=sys.stderr, flush=True)


def yes_no(flag):
    return "yes" if flag else "no"


# aioquic keeps no count of key updates: count the key phase changes of each
# 1-RTT CryptoPair, by who started them ("local_update": we did,
# "remote_update": the peer did), so that a test can tell that one happened.
_update_key = CryptoPair._update_key


def _counting_update_key(self, trigger):
    counts = self.__dict__.setdefault("peer_key_updates", {})
    counts[trigger] = counts.get(trigger, 0) + 1
    _update_key(self, trigger)


CryptoPair._update_key = _counting_update_key


class Watchdog:
    """Fails the run when no datagram arrived for IDLE_LIMIT seconds."""

    def __init__(self, loop):
        self.loop = loop
        self.last = loop.time()

    def touch(self):
        self.last = self.loop.time()

    async def run(self, what):
        while True:
            left = self.last + IDLE_LIMIT - self.loop.time()
            if left <= 0:
                return f"{what}: no datagram for {IDLE_LIMIT:.0f} s, giving up"
            await asyncio.sleep(min(left, 1.0) + 0.01)


class Peer(QuicConnectionProtocol):
    """What client and server connections share: the H3 layer, the
    watchdog, the handshake facts and the key update counts."""

    watchdog = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = None
        self.handshake = None
        self.one_rtt = None
        self.closed_by = None

    def datagram_received(self, data, addr):
        if Peer.watchdog:
            Peer.watchdog.touch()
        super().datagram_received(data, addr)

    def conn_line(self):
        quic = self._quic
        version = VERSION_NAMES.get(quic._version, "?")
        suite = quic.tls.key_schedule.cipher_suite if quic.tls.key_schedule else None
        cipher = CIPHER_NAMES.get(suite, "?")
        ev = self.handshake
        return (f"conn {version} {cipher} resumed={yes_no(ev.session_resumed)} "
            f"0rtt={yes_no(ev.early_data_accepted)}")

    def key_updates(self):
        counts = getattr(self.one_rtt, "peer_key_updates", {}) if self.one_rtt else {}
        return counts.get("local_update", 0), counts.get("remote_update", 0)

    def summary(self):
        local, remote = self.key_updates()
        ev = self.closed_by
        how = "open"
        if ev is not None:
            how = f"closed 0x{ev.error_code:x}"
            if ev.reason_phrase:
                how += f" ({ev.reason_phrase})"
        # A client counts the Retry packets it took, a server remembers
        # the connection ID of the Retry it sent.
        quic = self._quic
        retry = quic._retry_count > 0 or quic._retry_source_connection_id is not None
        return f"retry {yes_no(retry)}, key updates local {local} remote {remote}, {how}"

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated):
            if event.alpn_protocol not in H3_ALPN:
                self.close(error_code=0x178, reason_phrase="no h3")  # no_application_protocol
                return
            if self.h3 is None:
                self.h3 = H3Connection(self._quic)
        elif isinstance(event, HandshakeCompleted):
            self.handshake = event
            self.one_rtt = self._quic._cryptos.get(Epoch.ONE_RTT)
            self.handshake_done()
        elif isinstance(event, ConnectionTerminated):
            self.closed_by = event
            self.terminated(event)
            return
        if self.h3 is not None:
            for h3_event in self.h3.handle_event(event):
                self.h3_event(h3_event)

    def handshake_done(self):
        pass

    def terminated(self, event):
        pass

    def h3_event(self, event):
        pass


def fail_on_exception(loop, done):
    """An exception in a callback (ours or aioquic's) ends the run with 1,
    where asyncio would only log it and go on."""

    def handler(loop, context):
        loop.default_exception_handler(context)
        if not done.done():
            done.set_exception(RuntimeError(context.get("message", "exception")))

    loop.set_exception_handler(handler)


def make_config(args, is_client):
    config = QuicConfiguration(alpn_protocols=H3_ALPN, is_client=is_client,
                   idle_timeout=IDLE_LIMIT,
                   max_data=32 << 20, max_stream_data=16 << 20)
    if args.cipher:
        config.cipher_suites = [CIPHERS[args.cipher]]
    v1, v2 = QuicProtocolVersion.VERSION_1, QuicProtocolVersion.VERSION_2
    config.supported_versions = [v2, v1] if args.version == 2 else [v1]
    config.original_version = config.supported_versions[0]
    qlog = os.environ.get("AIOQUIC_PEER_QLOG")
    if qlog:
        from aioquic.quic.logger import QuicFileLogger
        os.makedirs(qlog, exist_ok=True)
        config.quic_logger = QuicFileLogger(qlog)
    return config


def resolve(addr, v6):
    """ADDR as a numeric address (an IPv6 one with -6)."""
    family = socket.AF_INET6 if v6 else socket.AF_UNSPEC
    try:
        infos = socket.getaddrinfo(addr, None, family, socket.SOCK_DGRAM)
    except socket.gaierror as e:
        raise SystemExit(f"{prog}: {addr}: {e.strerror}")
    return infos[0][4][0]


# --- server ---------------------------------------------------------------


class ServerState:
    def __init__(self, args, done):
        self.args = args
        self.done = done
        self.tickets = {}
        self.ended = 0
        self.failed = 0
        self.seq = 0

    # Session tickets, by ticket id; a ticket is good for one resumption,
    # which also keeps its 0-RTT data from being replayed.
    def store_ticket(self, ticket):
        self.tickets[ticket.ticket] = ticket

    def fetch_ticket(self, label):
        return self.tickets.pop(label, None)

    def ended_one(self, ok):
        self.ended += 1
        self.failed += not ok
        count = self.args.count
        if count and self.ended >= count and not self.done.done():
            self.done.set_result(1 if self.failed else 0)


class ServerConn(Peer):
    state = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ServerConn.state.seq += 1
        self.seq = ServerConn.state.seq
        self.answered = []  # stream ids of the answers sent

    def handshake_done(self):
        print(self.conn_line(), flush=True)

    def answer(self, stream_id, status, body=b""):
        headers = [(b":status", str(status).encode()),
               (b"server", b"aioquic_peer"),
               (b"content-length", str(len(body)).encode())]
        self.h3.send_headers(stream_id, headers, end_stream=not body)
        if body:
            self.h3.send_data(stream_id, body, end_stream=True)
        self.answered.append(stream_id)
        self.transmit()

    def h3_event(self, event):
        if not isinstance(event, HeadersReceived):
            return
        headers = dict(event.headers)
        method = headers.get(b":method", b"").decode(errors="replace")
        path = headers.get(b":path", b"/").decode(errors="replace").split("?")[0]
        if method != "GET":
            self.answer(event.stream_id, 405)
            return
        root = os.path.realpath(ServerConn.state.args.dir)
        name = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if not name.startswith(root + os.sep) or not os.path.isfile(name):
            self.answer(event.stream_id, 404)
            return
        with open(name, "rb") as f:
            body = f.read()
        self.answer(event.stream_id, 200, body)

    def all_sent(self):
        """Did every answer go out, up to its FIN (at least once)?"""
        for sid in self.answered:
            stream = self._quic._streams.get(sid)
            if stream is None:  # gone: both directions finished
                continue
            sender = stream.sender
            if sender._buffer_fin is None or len(sender._pending) or sender._pending_eof:
                return False
        return True

    def terminated(self, event):
        ok = True
        why = []
        if self.handshake is None:
            ok = False
            why.append("no handshake")
        if event.error_code not in (0, H3_NO_ERROR):
            ok = False
            why.append("closed with an error")
        if not self.all_sent():
            ok = False
            why.append("answers not all sent")
        print(f"# conn {self.seq}: {len(self.answered)} answers, {self.summary()}"
              + ("" if ok else ": " + ", ".join(why)), file=sys.stderr, flush=True)
        ServerConn.state.ended_one(ok)


async def run_server(args):
    loop = asyncio.get_running_loop()
    config = make_config(args, is_client=False)
    try:
        config.load_cert_chain(args.cert, args.key)
    except (OSError, ValueError) as e:
        say(f"cannot load --cert/--key: {e}")
        return 1
    if not os.path.isdir(args.dir):
        say(f"{args.dir}: not a directory")
        return 1
    done = loop.create_future()
    fail_on_exception(loop, done)
    state = ServerState(args, done)
    ServerConn.state = state
    addr = resolve(args.addr, args.ipv6)
    try:
        server = await serve(addr, args.port, configuration=config,
                     create_protocol=ServerConn,
                     session_ticket_fetcher=state.fetch_ticket,
                     session_ticket_handler=state.store_ticket,
                     retry=args.retry)
    except OSError as e:
        say(f"cannot listen on {addr} port {args.port}: {e.strerror}")
        return 1
    waits = [done]
    if args.count:
        Peer.watchdog = Watchdog(loop)
        waits.append(asyncio.ensure_future(Peer.watchdog.run("server")))
    finished, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    server.close()
    if done in finished:
        if done.exception():
            say(f"failed: {done.exception()}")
            return 1
        return done.result()
    say(waits[1].result())
    return 1


# --- client ---------------------------------------------------------------


class Request:
    def __init__(self, path, out):
        self.path = path
        self.out = out
        self.file = None
        self.status = None
        self.length = None  # content-length, when sent
        self.got = 0
        self.ended = False

    def ok(self):
        return (self.status == 200 and self.ended and
            (self.length is None or self.length == self.got))


class ClientConn(Peer):
    want_key_update = False  # --key-update
    last = None  # the connection, also when connect() failed in the handshake

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The client's H3 layer exists before the handshake: its control
        # stream and requests may go out as 0-RTT data.
        self.h3 = H3Connection(self._quic)
        self.requests = {}
        self.first = None
        self.key_updated_at = None
        self.finished = self._loop.create_future()
        fail_on_exception(self._loop, self.finished)
        ClientConn.last = self

    def handshake_done(self):
        print(self.conn_line(), flush=True)

    def send_requests(self, reqs, authority):
        for req in reqs:
            sid = self._quic.get_next_available_stream_id()
            self.h3.send_headers(sid, [
                (b":method", b"GET"),
                (b":scheme", b"https"),
                (b":authority", authority.encode()),
                (b":path", req.path.encode()),
                (b"user-agent", b"aioquic_peer"),
            ], end_stream=True)
            self.requests[sid] = req
            if self.first is None:
                self.first = req
        self.transmit()

    def maybe_key_update(self, req):
        if not self.want_key_update or self.key_updated_at is not None or req is not self.first:
            return
        if self.handshake is None:
            return
        half = (req.length if req.length is not None else 2 * READ_CHUNK) // 2
        if req.got >= half:
            self._quic.request_key_update()
            self.key_updated_at = req.got

    def h3_event(self, event):
        req = self.requests.get(getattr(event, "stream_id", None))
        if req is None:
            return
        if isinstance(event, HeadersReceived):
            if req.status is None:
                headers = dict(event.headers)
                try:
                    req.status = int(headers.get(b":status", b"0"))
                except ValueError:
                    req.status = 0
                if b"content-length" in headers:
                    req.length = int(headers[b"content-length"])
                if req.status == 200:
                    req.file = open(req.out, "wb")
        elif isinstance(event, DataReceived):
            req.got += len(event.data)
            if req.file:
                req.file.write(event.data)
            self.maybe_key_update(req)
        if event.stream_ended:
            req.ended = True
            if req.file:
                req.file.close()
                req.file = None
            if all(r.ended for r in self.requests.values()) and not self.finished.done():
                self.finished.set_result(None)

    def terminated(self, event):
        if not self.finished.done():
            self.finished.set_exception(ConnectionError(
                f"connection closed (0x{event.error_code:x} {event.reason_phrase})"))


def load_ticket(args):
    if not args.session_file or not os.path.exists(args.session_file):
        return None
    try:
        with open(args.session_file, "rb") as f:
            ticket = pickle.load(f)
    except (OSError, pickle.PickleError, EOFError) as e:
        say(f"{args.session_file}: cannot load a session ticket: {e}")
        return None
    if not args.zerortt:
        # Resumption only: a ticket without max_early_data_size makes
        # aioquic offer no early data.
        ticket = dataclasses.replace(ticket, max_early_data_size=None)
    return ticket


async def run_client(args):
    loop = asyncio.get_running_loop()
    config = make_config(args, is_client=True)
    if args.no_verify:
        config.verify_mode = ssl.CERT_NONE
    elif args.cafile:
        try:
            config.load_verify_locations(cafile=args.cafile)
        except (OSError, ssl.SSLError) as e:
            say(f"--cafile {args.cafile}: {e}")
            return 1
    config.server_name = args.sni or args.addr
    ticket = load_ticket(args)
    if ticket is not None:
        config.session_ticket = ticket
    early = args.zerortt and ticket is not None and ticket.max_early_data_size is not None

    if len(args.paths) == 1:
        outs = [args.out]
    else:
        os.makedirs(args.out, exist_ok=True)
        outs = [os.path.join(args.out, os.path.basename(p.rstrip("/")) or "index")
            for p in args.paths]
    reqs = [Request(p if p.startswith("/") else "/" + p, o) for p, o in zip(args.paths, outs)]

    tickets = []
    got_ticket = asyncio.Event()

    def new_ticket(t):
        tickets.append(t)
        got_ticket.set()

    addr = resolve(args.addr, args.ipv6)
    authority = f"[{addr}]:{args.port}" if ":" in addr else f"{addr}:{args.port}"
    if args.sni:
        authority = f"{args.sni}:{args.port}"
    ClientConn.want_key_update = args.key_update
    Peer.watchdog = Watchdog(loop)
    watchdog = asyncio.ensure_future(Peer.watchdog.run("client"))
    conn = None
    rc = 0
    try:
        async with connect(addr, args.port, configuration=config,
                   create_protocol=ClientConn,
                   session_ticket_handler=new_ticket,
                   wait_connected=not early) as conn:
            if early:
                conn.send_requests(reqs, authority)
            work = asyncio.ensure_future(conn.wait_connected())
            done, _ = await asyncio.wait([work, watchdog],
                             return_when=asyncio.FIRST_COMPLETED)
            if work not in done:
                raise TimeoutError(watchdog.result())
            work.result()
            if not early:
                conn.send_requests(reqs, authority)
            done, _ = await asyncio.wait([conn.finished, watchdog],
                             return_when=asyncio.FIRST_COMPLETED)
            if conn.finished not in done:
                raise TimeoutError(watchdog.result())
            conn.finished.result()
            if args.session_file and not tickets:
                try:
                    await asyncio.wait_for(got_ticket.wait(), TICKET_WAIT)
                except asyncio.TimeoutError:
                    say("no session ticket from the server")
            conn.close(error_code=H3_NO_ERROR)
    except (ConnectionError, TimeoutError, OSError, RuntimeError) as e:
        why = str(e)
        last = ClientConn.last
        if not why and last is not None and last.closed_by is not None:
            ev = last.closed_by
            why = f"connection closed: 0x{ev.error_code:x} {ev.reason_phrase}"
            if last.handshake is None:
                why = "no handshake, " + why
        say(why or type(e).__name__)
        rc = 1
    watchdog.cancel()
    for req in reqs:
        status = req.status if req.status is not None else "-"
        print(f"{req.path} {status} {req.got}", flush=True)
        if not req.ok():
            rc = 1
            if req.status != 200:
                say(f"{req.path}: HTTP status {status}")
            elif not req.ended:
                say(f"{req.path}: incomplete body, {req.got} bytes")
            else:
                say(f"{req.path}: {req.got} bytes, content-length {req.length}")
        if req.file:
            req.file.close()
    if conn is not None:
        extra = ""
        if args.key_update:
            extra = f", key update asked at {conn.key_updated_at} bytes"
        print(f"# {conn.summary()}{extra}", file=sys.stderr, flush=True)
        if args.key_update and conn.key_updated_at is None:
            say("--key-update: no key update was started")
            rc = 1
    if args.session_file and tickets:
        with open(args.session_file, "wb") as f:
            pickle.dump(tickets[-1], f)
    return rc


# --- command line ---------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(prog="aioquic_peer.py",
                    description="HTTP/3 client and server on aioquic")
    sub = p.add_subparsers(dest="mode", required=True)

    def common(sp):
        sp.add_argument("-6", dest="ipv6", action="store_true")
        sp.add_argument("--cipher", choices=sorted(CIPHERS))
        sp.add_argument("--version", type=int, choices=(1, 2), default=1)
        sp.add_argument("addr", metavar="ADDR")
        sp.add_argument("port", metavar="PORT", type=int)

    s = sub.add_parser("server")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--retry", action="store_true")
    s.add_argument("--count", type=int)
    common(s)
    s.add_argument("dir", metavar="DIR")

    c = sub.add_parser("client")
    verify = c.add_mutually_exclusive_group()
    verify.add_argument("--no-verify", action="store_true")
    verify.add_argument("--cafile")
    c.add_argument("--sni")
    c.add_argument("--session-file")
    c.add_argument("--zerortt", action="store_true")
    c.add_argument("--key-update", action="store_true")
    c.add_argument("-o", dest="out", required=True, metavar="OUT")
    common(c)
    c.add_argument("paths", metavar="PATH", nargs="+")

    args = p.parse_args(argv)
    if args.mode == "server" and args.count is not None and args.count <= 0:
        p.error("--count: a positive number")
    return args


# --- fork server -----------------------------------------------------------

SYS_PIDFD_GETFD = 438  # the same number on every architecture
PEER_ENV = ("AIOQUIC_PEER_DEBUG", "AIOQUIC_PEER_QLOG")
_libc = ctypes.CDLL(None, use_errno=True)


def pidfd_getfd(pidfd, fd):
    new = _libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
    if new < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return new


def caller_env(pid):
    """The AIOQUIC_PEER_* variables of process @pid."""
    env = {}
    with open(f"/proc/{pid}/environ", "rb") as f:
        for item in f.read().split(b"\0"):
            name, _, value = item.decode(errors="replace").partition("=")
            if name in PEER_ENV:
                env[name] = value
    return env


def exit_code(e):
    """What the interpreter would exit with for SystemExit @e."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr)
    return 1


def forked_child(pidfd, caller, argv):
    """In the child: become the caller's aioquic_peer.py ARGV; never
    returns.  Anything going wrong before main() is said on the caller's
    stderr when that was taken, else on the fork server's."""
    rc = 1
    try:
        os.setsid()  # signals for the fork server's group are not ours
        # The caller's descriptors first, so that a failure after this
        # is told on the caller's stderr.
        for fd in (0, 1, 2):
            try:
                new = pidfd_getfd(pidfd, fd)
            except OSError as e:
                if e.errno != errno.EBADF:  # EBADF: closed in the caller
                    raise
                new = os.open(os.devnull, os.O_RDWR)
            os.dup2(new, fd)
            os.close(new)
        os.setns(pidfd, os.CLONE_NEWNET)
        env = caller_env(caller)
        # Nothing of the fork server's (its FIFO, other callers' pidfds)
        # may live on in the child.
        os.closerange(3, pidfd)
        os.closerange(pidfd + 1, os.sysconf("SC_OPEN_MAX"))
        os.close(pidfd)
        for name in PEER_ENV:
            os.environ.pop(name, None)
        os.environ.update(env)
        rc = main(argv)
    except SystemExit as e:
        rc = exit_code(e)
    except BaseException:
        traceback.print_exc()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(rc & 0xff if isinstance(rc, int) else 1)


def forkserver(ctl_dir):
    ctl_path = os.path.join(ctl_dir, "ctl")
    os.mkfifo(ctl_path)
    # Read and write: a caller's close never gives EOF, and callers never
    # block opening it.
    ctl = os.open(ctl_path, os.O_RDWR)
    # Objects that exist now are never freed: keep the collector from
    # touching (and so copying) them in every child.
    gc.freeze()
    poll = select.poll()
    poll.register(ctl, select.POLLIN)
    children = {}  # pidfd -> (pid, ret fd)
    pending = b""
    say(f"ready, pid {os.getpid()}")
    while True:
        for fd, _ in poll.poll():
            if fd == ctl:
                pending += os.read(ctl, 4096)
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    spawn(line.decode(errors="replace"), children, poll)
                continue
            pid, ret = children.pop(fd)
            poll.unregister(fd)
            os.close(fd)
            _, status = os.waitpid(pid, 0)
            if os.WIFSIGNALED(status):
                word = f"signal {os.WTERMSIG(status)}"
            else:
                word = f"exit {os.waitstatus_to_exitcode(status)}"
            try:
                os.write(ret, f"{word}\n".encode())
            except OSError:
                pass  # the caller is gone
            os.close(ret)


def fail_request(ret, why):
    """Tell the caller why its request failed, if it still listens."""
    try:
        os.write(ret, f"{why}\n".encode())
    except OSError:
        pass
    os.close(ret)


def spawn(line, children, poll):
    """One request: "PID REQ"; answers "pid N" on REQ/ret, or "error WHY"."""
    try:
        caller, req = line.split(" ", 1)
        caller = int(caller)
        # The caller holds REQ/ret open (for reading and writing) before
        # it asks: a non-blocking open for writing finds it, or fails when
        # the caller went away.
        ret = os.open(os.path.join(req, "ret"), os.O_WRONLY | os.O_NONBLOCK)
    except (ValueError, OSError) as e:
        say(f"bad request {line!r}: {e}")
        return
    try:
        with open(os.path.join(req, "args"), "rb") as f:
            argv = [w.decode() for w in f.read().split(b"\0")[:-1]]
        pidfd = os.pidfd_open(caller)
    except (ValueError, OSError) as e:
        fail_request(ret, f"error {e}")
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError as e:
        os.close(pidfd)
        fail_request(ret, f"error fork: {e}")
        return
    if pid == 0:
        os.close(ret)
        forked_child(pidfd, caller, argv)
    os.close(pidfd)
    try:
        child = os.pidfd_open(pid)
    except OSError as e:
        # Without a pidfd its end cannot be watched: stop it, say why.
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        fail_request(ret, f"error pidfd_open: {e}")
        return
    children[child] = (pid, ret)
    poll.register(child, select.POLLIN)
    try:
        os.write(ret, f"pid {pid}\n".encode())
    except OSError:
        pass  # the caller is gone; the child's status is not wanted


def main(argv):
    global prog

    args = parse_args(argv)
    prog = f"aioquic_peer {args.mode}"
    logging.basicConfig(level=logging.DEBUG if os.environ.get("AIOQUIC_PEER_DEBUG")
                else logging.WARNING,
                format="%(asctime)s %(name)s %(message)s")
    run = run_server if args.mode == "server" else run_client
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["forkserver"] and len(sys.argv) == 3:
        prog = "aioquic_peer forkserver"
        forkserver(sys.argv[2])
    sys.exit(main(sys.argv[1:]))
