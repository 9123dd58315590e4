#!/usr/bin/python3
"""knet lab kubelet API: the part of a kubelet's port 10250 the apiserver
proxies pods/exec to.

One daemon per node, started by `lab up` inside the node netns (lab-NODE):

  kubelet-api.py --node NODE

HTTPS on the node's InternalIP:10250, serving cert pki/kubelet-NODE.crt
(lab CA, IP SAN). Clients must present a certificate of the lab CA; only
the apiserver's kubelet client cert (CN kube-apiserver-kubelet-client) is
authorised: no certificate -> 401, another CA-signed one -> 403.

  GET  /healthz                          "ok" (no client cert needed)
  GET|POST /exec/NS/POD/CONTAINER?command=..&stdin=1&stdout=1&stderr=1&tty=0
  GET|POST /exec/NS/POD/UID/CONTAINER?...

exec is a WebSocket (RFC 6455) upgrade; subprotocols v4.channel.k8s.io
(preferred), v5.channel.k8s.io (channel 255 closes a stream),
channel.k8s.io and their base64 variants. Each binary frame's first byte
is the channel: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize. The
command runs in the pod process's net+mnt+uts namespaces (a hostNetwork
pod's are the node's netns); for knet-agent:* pods argv[0] knet or
/usr/bin/knet is $KNET_LAB_DIR/agent-knet. At exit channel 3 gets the
Status and a close frame follows; when the WebSocket ends first the
command's process group gets SIGTERM, SIGKILL 2 s later.

Each connection is one thread running one poll loop over the (non-blocking)
TLS socket and the command's pipes: an SSL object must not be read and
written from two threads at once.
"""
import argparse, base64, errno, fcntl, glob, hashlib, json, os, pty, select
import signal, socket, ssl, struct, subprocess, sys, termios, threading, time
import urllib.parse

from wsframe import frame, xor_mask as unmask

S = os.environ['KNET_LAB_DIR']
PODS_DIR = os.path.join(S, 'pods')
AGENT_KNET = os.path.join(S, 'agent-knet')
KNET_ARGV0 = ('knet', '/usr/bin/knet')
APISERVER_CN = 'kube-apiserver-kubelet-client'
WS_GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
PROTOCOLS = ('v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io',
             'v4.base64.channel.k8s.io', 'base64.channel.k8s.io')
F_SETPIPE_SZ = 1031
READ_MAX = 1 << 20          # one stdout/stderr read -> one frame
OUT_HIGH = 8 << 20          # stop reading the command above this backlog
FRAME_MAX = 64 << 20
log_lock = threading.Lock()


def log(*a):
    with log_lock:
        print(time.strftime('%H:%M:%S'), *a, flush=True)

# ------------------------------------------------------------ pods


def proc_starttime(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            s = f.read()
        fields = s[s.rindex(')') + 2:].split()
        return None if fields[0] == 'Z' else fields[19]
    except (OSError, ValueError, IndexError):
        return None


def find_pod(ns, name, uid=None):
    for f in glob.glob(os.path.join(PODS_DIR, '%s_%s_*' % (ns, name), 'state.json')):
        try:
            st = json.load(open(f))
        except (OSError, ValueError):
            continue
        if st.get('namespace') == ns and st.get('name') == name and (uid is None or st.get('uid') == uid):
            return st
    return None

def pod_cgroups(st):
    try:
        hier = json.load(open(os.path.join(S, 'lab.json')))['cgroup_hierarchies']
    except (OSError, ValueError, KeyError):
        return []
    return [os.path.join('/sys/fs/cgroup', h, st['cgroup_parent'], 'pod' + st['uid'], st['cid'])
            for h in hier if st.get('cgroup_parent') and st.get('cid')]

# ------------------------------------------------------------ WebSocket


class Closed(Exception):
    pass


class Conn:
    """One client connection: HTTP request, then maybe the exec stream."""

    def __init__(self, sock, node):
        self.sock = sock
        self.node = node
        self.rbuf = bytearray()
        self.peer = '?'

    # -- blocking phase (handshake, request, plain responses)
    def read_head(self):
        while b'\r\n\r\n' not in self.rbuf:
            if len(self.rbuf) > 65536:
                raise Closed('request head too long')
            d = self.sock.recv(65536)
            if not d:
                raise Closed('eof in request head')
            self.rbuf += d
        i = self.rbuf.index(b'\r\n\r\n')
        head = bytes(self.rbuf[:i]).decode('latin-1')
        del self.rbuf[:i + 4]
        lines = head.split('\r\n')
        method, target, _ = lines[0].split(' ', 2)
        hdrs = {}
        for l in lines[1:]:
            k, _, v = l.partition(':')
            k = k.strip().lower()
            hdrs[k] = (hdrs[k] + ', ' + v.strip()) if k in hdrs else v.strip()
        return method, target, hdrs

    def respond(self, code, reason, body, ctype='application/json'):
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.sock.sendall(('HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n'
                           'Connection: close\r\n\r\n' % (code, reason, ctype, len(body))).encode() + body)

    def status_error(self, code, reason, kreason, msg):
        self.respond(code, reason, {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
                                    'status': 'Failure', 'message': msg, 'reason': kreason, 'code': code})

    def serve(self):
        self.sock.settimeout(15)
        self.sock.do_handshake()
        method, target, hdrs = self.read_head()
        u = urllib.parse.urlsplit(target)
        parts = [urllib.parse.unquote(p) for p in u.path.split('/') if p]
        if parts == ['healthz'] and method == 'GET':
            return self.respond(200, 'OK', 'ok', 'text/plain')
        cert = self.sock.getpeercert()
        if not cert:
            return self.status_error(401, 'Unauthorized', 'Unauthorized', 'a client certificate is required')
        cn = dict(x[0] for x in cert.get('subject', ())).get('commonName')
        if cn != APISERVER_CN:
            log('forbidden: client certificate CN=%s' % cn)
            return self.status_error(403, 'Forbidden', 'Forbidden',
                                     'user %s is not allowed to use the kubelet API' % cn)
        if not parts or parts[0] != 'exec' or len(parts) not in (4, 5):
            return self.status_error(404, 'Not Found', 'NotFound', 'no such kubelet endpoint: ' + u.path)
        if method not in ('GET', 'POST'):
            return self.status_error(405, 'Method Not Allowed', 'MethodNotAllowed', method)
        ns, pod = parts[1], parts[2]
        uid = parts[3] if len(parts) == 5 else None
        container = parts[-1]
        st = find_pod(ns, pod, uid)
        if st is None:
            return self.status_error(404, 'Not Found', 'NotFound', 'pod %s/%s not found on %s' % (ns, pod, self.node))
        if st.get('node') != self.node:
            return self.status_error(404, 'Not Found', 'NotFound', 'pod %s/%s is not on %s' % (ns, pod, self.node))
        if container not in (st.get('containers') or [st.get('container')]):
            return self.status_error(404, 'Not Found', 'NotFound',
                                     'container %s not found in pod %s/%s' % (container, ns, pod))
        pid = st.get('pid')
        if not pid or proc_starttime(pid) != st.get('starttime'):
            return self.status_error(404, 'Not Found', 'NotFound', 'container %s is not running' % container)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        # the apiserver sends the kubelet input/output/error (k8s.io/api
        # ExecStdinParam...); a direct client may say stdin/stdout/stderr
        alias = {'stdin': 'input', 'stdout': 'output', 'stderr': 'error'}
        flag = lambda k: (q.get(k) or q.get(alias.get(k, k)) or ['0'])[-1].lower() in ('1', 'true')
        argv = q.get('command') or []
        if not argv:
            return self.status_error(400, 'Bad Request', 'BadRequest', 'no command given')
        if hdrs.get('upgrade', '').lower() != 'websocket' or 'sec-websocket-key' not in hdrs:
            return self.status_error(400, 'Bad Request', 'BadRequest',
                                     'exec needs a WebSocket upgrade (SPDY is not supported by the lab)')
        offered = [p.strip() for p in hdrs.get('sec-websocket-protocol', '').split(',') if p.strip()]
        proto = next((p for p in offered if p in PROTOCOLS), None)
        if offered and proto is None:
            return self.status_error(400, 'Bad Request', 'BadRequest',
                                     'no supported subprotocol in %s' % ', '.join(offered))
        accept = base64.b64encode(hashlib.sha1(hdrs['sec-websocket-key'].encode() + WS_GUID).digest()).decode()
        resp = ('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                'Sec-WebSocket-Accept: %s\r\n' % accept)
        if proto:
            resp += 'Sec-WebSocket-Protocol: %s\r\n' % proto
        self.sock.sendall((resp + '\r\n').encode())
        if st.get('kind') == 'agent' and argv[0] in KNET_ARGV0:
            argv = [AGENT_KNET] + argv[1:]
        log('exec %s/%s/%s pid %s proto %s stdin %d stdout %d stderr %d tty %d: %s' % (
            ns, pod, container, pid, proto, flag('stdin'), flag('stdout'), flag('stderr'), flag('tty'), argv))
        Exec(self, proto or 'channel.k8s.io', pid, argv, flag('stdin'), flag('stdout'),
             flag('stderr'), flag('tty'), pod_cgroups(st)).run()


class Exec:
    def __init__(self, conn, proto, target_pid, argv, want_in, want_out, want_err, tty, cgroups):
        self.cgroups = cgroups
        self.c = conn
        self.sock = conn.sock
        self.proto = proto
        self.b64 = 'base64' in proto
        self.v4 = proto.startswith('v4.') or proto.startswith('v5.')
        self.argv = argv
        self.target = target_pid
        self.want_in, self.want_out, self.want_err, self.tty = want_in, want_out, want_err, tty
        self.outq = []              # pending frames (bytes)
        self.outq_bytes = 0
        self.cur = None             # memoryview being sent (TLS retries need it)
        self.inbuf = bytearray()    # for the command's stdin
        self.stdin_eof = False
        self.resized = False
        self.master = None
        self.msg = None             # fragmented message being assembled
        self.msg_op = 0
        self.close_sent = False
        self.peer_closed = False    # close frame received or connection gone
        self.sock_dead = False

    # -- the command
    def spawn(self):
        # The command joins the container's cgroups, as a runtime's exec
        # does, so that tearing the pod down (the lab kubelet kills what
        # its cgroups hold) ends it and with it the stream. Done by a shell
        # inside the pod's mount namespace: this daemon's own /sys is the
        # node netns' (ip netns exec), without the cgroup mounts.
        join = 'for d; do [ "$d" = -- ] && break; { echo $$ > "$d/cgroup.procs"; } 2>/dev/null; shift; done; shift; exec "$@"'
        cmd = (['nsenter', '-t', str(self.target), '-n', '-m', '-u', '--', '/bin/sh', '-c', join, 'sh']
               + self.cgroups + ['--'] + self.argv)
        if self.tty:
            m, s = pty.openpty()
            self.master = m

            def pre():
                os.setsid()
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            os.set_blocking(m, False)
            self.fd_in = m if self.want_in else None
            # a tty's output is drained even when nobody wants it (channel 0:
            # dropped), or the command would block on a full pty
            self.fd_out = {m: 1 if self.want_out else 0}
            # clients send the terminal size right after the upgrade: apply
            # it before the command starts, or `stty size` would race it
            self.sock.settimeout(0.3)
            try:
                while not self.resized:
                    d = self.sock.recv(65536)
                    if not d:
                        break
                    self.c.rbuf += d
                    self.parse()
            except (socket.timeout, ssl.SSLError, OSError):
                pass
            self.proc = subprocess.Popen(cmd, stdin=s, stdout=s, stderr=s, preexec_fn=pre, close_fds=True)
            os.close(s)
        else:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE if self.want_in else subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.want_out else subprocess.DEVNULL,
                stderr=subprocess.PIPE if self.want_err else subprocess.DEVNULL,
                start_new_session=True, close_fds=True)
            self.fd_in = self.proc.stdin.fileno() if self.want_in else None
            self.fd_out = {}
            if self.want_out:
                self.fd_out[self.proc.stdout.fileno()] = 1
            if self.want_err:
                self.fd_out[self.proc.stderr.fileno()] = 2
            for fd in list(self.fd_out) + ([self.fd_in] if self.fd_in is not None else []):
                try:
                    fcntl.fcntl(fd, F_SETPIPE_SZ, READ_MAX)
                except OSError:
                    pass
                os.set_blocking(fd, False)

    def kill(self):
        """SIGTERM to the command's process group, SIGKILL after 2 s."""
        self.close_stdin()
        for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass
        # stragglers of the group (a shell's children)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close_stdin(self):
        if self.fd_in is not None and self.fd_in != self.master:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self.fd_in = None
        self.inbuf.clear()

    # -- frames out
    def queue(self, b):
        self.outq.append(b)
        self.outq_bytes += len(b)

    def send_channel(self, ch, data):
        if self.b64:
            self.queue(frame(0x1, b'%d' % ch + base64.b64encode(data)))
        else:
            self.queue(frame(0x2, bytes((ch,)) + data))

    def send_close(self, code=1000):
        if not self.close_sent:
            self.queue(frame(0x8, struct.pack('!H', code)))
            self.close_sent = True

    def flush(self):
        """Send what the socket takes now; True when everything went."""
        while True:
            if self.cur is None:
                if not self.outq:
                    return True
                # join small frames into one TLS write
                if len(self.outq) > 1 and len(self.outq[0]) < 65536:
                    n, k = 0, 0
                    while k < len(self.outq) and n < READ_MAX:
                        n += len(self.outq[k])
                        k += 1
                    b = b''.join(self.outq[:k])
                    del self.outq[:k]
                else:
                    b = self.outq.pop(0)
                self.cur = memoryview(b)
            try:
                n = self.sock.send(self.cur)
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                return False
            except (OSError, ssl.SSLError):
                self.sock_dead = True
                self.outq.clear()
                self.outq_bytes = 0
                self.cur = None
                return True
            self.outq_bytes -= n
            self.cur = self.cur[n:] if n < len(self.cur) else None

    # -- frames in
    def read_sock(self):
        while True:
            try:
                d = self.sock.recv(262144)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                break
            except (OSError, ssl.SSLError):
                d = b''
            if not d:
                self.sock_dead = True
                self.peer_closed = True
                break
            self.c.rbuf += d
        self.parse()

    def parse(self):
        buf = self.c.rbuf
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            fin, op, masked, n = b0 & 0x80, b0 & 0x0f, b1 & 0x80, b1 & 0x7f
            pos = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n = struct.unpack_from('!H', buf, 2)[0]
                pos = 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n = struct.unpack_from('!Q', buf, 2)[0]
                pos = 10
            if n > FRAME_MAX:
                self.send_close(1009)
                self.peer_closed = True
                return
            if masked:
                if len(buf) < pos + 4:
                    return
                key = bytes(buf[pos:pos + 4])
                pos += 4
            if len(buf) < pos + n:
                return
            payload = bytes(buf[pos:pos + n])
            del buf[:pos + n]
            if masked:
                payload = unmask(payload, key)
            if op >= 0x8:
                self.control(op, payload)
                continue
            if op == 0:
                if self.msg is None:
                    continue        # stray continuation
                self.msg += payload
            else:
                self.msg, self.msg_op = bytearray(payload), op
            if fin:
                m, self.msg = bytes(self.msg), None
                self.message(self.msg_op, m)

    def control(self, op, payload):
        if op == 0x9:
            self.queue(frame(0xA, payload))
        elif op == 0x8:
            self.peer_closed = True
            self.send_close(1000)

    def message(self, op, m):
        if not m:
            return
        if self.b64:
            try:
                ch, data = int(chr(m[0])), base64.b64decode(m[1:])
            except ValueError:
                return
        else:
            ch, data = m[0], m[1:]
        if ch == 0 and self.fd_in is not None:
            self.inbuf += data
        elif ch == 4 and self.tty and self.master is not None:
            try:
                sz = json.loads(data)
                fcntl.ioctl(self.master, termios.TIOCSWINSZ,
                            struct.pack('HHHH', int(sz.get('Height', 24)), int(sz.get('Width', 80)), 0, 0))
                self.resized = True
            except (ValueError, OSError, AttributeError):
                pass
        elif ch == 255 and self.proto.startswith('v5.') and data[:1] == b'\x00':
            self.stdin_eof = True       # closed once what came before is written
            self.write_stdin()

    def write_stdin(self):
        while self.inbuf and self.fd_in is not None:
            try:
                n = os.write(self.fd_in, self.inbuf[:READ_MAX])
            except BlockingIOError:
                return
            except OSError:
                self.close_stdin()
                return
            del self.inbuf[:n]
        if self.stdin_eof and self.fd_in is not None:
            if self.tty:
                try:
                    os.write(self.fd_in, b'\x04')    # ^D: EOF for the tty's reader
                except OSError:
                    pass
            self.close_stdin()

    def status(self, code):
        if not self.v4:
            if code != 0:
                self.send_channel(3, b'command terminated with non-zero exit code: exit code %d' % code)
            return
        if code == 0:
            s = {'metadata': {}, 'status': 'Success'}
        else:
            s = {'metadata': {}, 'status': 'Failure',
                 'message': 'command terminated with non-zero exit code: error executing command %s, exit code %d'
                            % (json.dumps(self.argv), code),
                 'reason': 'NonZeroExitCode',
                 'details': {'causes': [{'reason': 'ExitCode', 'message': str(code)}]}}
        self.send_channel(3, json.dumps(s).encode())

    # -- the loop
    def run(self):
        try:
            self.spawn()
        except OSError as e:
            self.send_channel(3, json.dumps({'metadata': {}, 'status': 'Failure', 'reason': 'InternalError',
                                             'message': 'cannot start %s: %s' % (self.argv[0], e)}).encode())
            self.send_close(1011)
            self.sock.setblocking(True)
            self.flush()
            return
        self.sock.setblocking(False)
        t0 = time.time()
        nbytes = 0
        p = select.poll()
        sfd = self.sock.fileno()
        exited = None
        tick = 1
        try:
            while True:
                if self.peer_closed or self.sock_dead:
                    break
                if not self.fd_out and exited is None:
                    exited = self.proc.poll()
                if not self.fd_out and exited is not None:
                    break
                reg = {sfd: select.POLLIN | (select.POLLOUT if (self.cur is not None or self.outq) else 0)}
                if self.outq_bytes < OUT_HIGH:
                    for fd in self.fd_out:
                        reg[fd] = reg.get(fd, 0) | select.POLLIN
                if self.fd_in is not None and self.inbuf:
                    reg[self.fd_in] = reg.get(self.fd_in, 0) | select.POLLOUT
                p = select.poll()
                for fd, ev in reg.items():
                    p.register(fd, ev)
                # outputs closed: the exit is near; poll for it from 1 ms,
                # doubling to 100 ms (a command with no output may run long)
                if self.fd_out:
                    timeout, tick = 1000, 1
                else:
                    timeout, tick = tick, min(tick * 2, 100)
                for fd, ev in p.poll(timeout):
                    if fd == sfd:
                        if ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                            self.read_sock()
                        continue
                    if fd in self.fd_out and ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                        try:
                            d = os.read(fd, READ_MAX)
                        except BlockingIOError:
                            d = None
                        except OSError:      # EIO: the pty's other side closed
                            d = b''
                        if d and self.fd_out[fd]:
                            nbytes += len(d)
                            self.send_channel(self.fd_out[fd], d)
                        elif d == b'':
                            del self.fd_out[fd]
                    if fd == self.fd_in and ev & (select.POLLOUT | select.POLLERR | select.POLLHUP):
                        if ev & (select.POLLERR | select.POLLHUP):
                            self.close_stdin()
                        else:
                            self.write_stdin()
                if self.inbuf and self.fd_in is not None:
                    self.write_stdin()
                self.flush()
            if self.peer_closed or self.sock_dead:
                log('exec %s: the stream ended first; stopping the command (pid %d)' % (self.argv[0], self.proc.pid))
                self.kill()
                self.send_close(1000)
                self.flush_for(1.0)
                return
            code = self.proc.wait()
            code = 128 - code if code < 0 else code
            self.status(code)
            self.send_close(1000)
            self.flush_for(10.0)
            # wait briefly for the client's close frame
            end = time.time() + 1.0
            while not self.peer_closed and not self.sock_dead and time.time() < end:
                select.select([sfd], [], [], max(0, end - time.time()))
                self.read_sock()
                self.flush()
            dt = time.time() - t0
            log('exec %s: exit %d, %d bytes out in %.2fs (%.0f MB/s)' % (
                self.argv[0], code, nbytes, dt, nbytes / dt / 1e6 if dt > 0 else 0))
        finally:
            if self.proc.poll() is None:
                self.kill()
            if self.master is not None:
                os.close(self.master)
            for f in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass

    def flush_for(self, secs):
        end = time.time() + secs
        sfd = self.sock.fileno()
        while not self.flush() and time.time() < end and not self.sock_dead:
            select.select([sfd], [sfd], [], max(0, end - time.time()))


def handle(raw, addr, ctx, node):
    c = None
    try:
        s = ctx.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        c = Conn(s, node)
        c.peer = '%s:%d' % addr
        c.serve()
    except (Closed, OSError, ssl.SSLError, ValueError) as e:
        log('connection from %s:%d: %s' % (addr[0], addr[1], e))
    except Exception as e:
        log('connection from %s:%d: unexpected %r' % (addr[0], addr[1], e))
    finally:
        try:
            (c.sock if c else raw).close()
        except OSError:
            pass


def watchdog(node):
    """Exit once this daemon is no longer the lab's: its node netns was
    deleted or replaced, or its pid file is gone or names another process
    (a `lab down` of a lab version that did not know this daemon removes
    the state directory, and must not leave it running)."""
    me = os.getpid()
    pidfile = os.path.join(S, 'pids', 'kubelet-api-%s.pid' % node)
    time.sleep(5)
    while True:
        try:
            same_ns = os.stat('/var/run/netns/lab-' + node).st_ino == os.stat('/proc/self/ns/net').st_ino
            mine = int(open(pidfile).read().split()[0]) == me
        except (OSError, ValueError, IndexError):
            same_ns = mine = False
        if not (same_ns and mine):
            log('no longer the lab\'s kubelet API of %s (netns %s, pid file %s): exiting'
                % (node, 'same' if same_ns else 'gone', 'mine' if mine else 'not mine'))
            os._exit(0)
        time.sleep(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--node', required=True)
    ap.add_argument('--port', type=int, default=10250)
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(S, 'lab.json')))
    ip = next(n['ip'] for n in cfg['nodes'] if n['name'] == a.node)
    pki = os.path.join(S, 'pki')
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(pki, 'kubelet-%s.crt' % a.node), os.path.join(pki, 'kubelet-%s.key' % a.node))
    ctx.load_verify_locations(os.path.join(pki, 'ca.crt'))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ip, a.port))
    ls.listen(128)
    signal.signal(signal.SIGTERM, lambda *x: os._exit(0))
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    log('kubelet API of %s on %s:%d' % (a.node, ip, a.port))
    threading.Thread(target=watchdog, args=(a.node,), daemon=True).start()
    while True:
        try:
            raw, addr = ls.accept()
        except InterruptedError:
            continue
        threading.Thread(target=handle, args=(raw, addr, ctx, a.node), daemon=True).start()


if __name__ == '__main__':
    main()
