#!/usr/bin/python3
"""ws-exec.py: pods/exec through the real apiserver over a WebSocket
(v4.channel.k8s.io), Python stdlib only: the lab's own oracle for the exec
path knet's C client takes.

  ws-exec.py [--kubeconfig F] [-n NS] [-c CONTAINER] [-i] [-t] [--size WxH]
             [--protocol P] [--pid-out] POD -- CMD [ARG...]

stdout (channel 1) goes to fd 1 byte for byte, stderr (2) to fd 2; the exit
status is the remote command's (from the channel 3 Status). -i relays fd 0
to channel 0; at its EOF a v5.channel.k8s.io stream gets the stdin close
message (v4 has none: the remote stdin stays open). Exit 4: the API refused
(HTTP status and message on stderr); 5: the stream dropped without a
status. Only kubeconfigs of the shape `lab` writes are read (token,
tokenFile, client cert/key data or files, CA data or file).
"""
import argparse, base64, hashlib, json, os, re, select, signal, socket, ssl
import struct, sys, tempfile, urllib.parse

import wsframe

WS_GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


def die(code, msg):
    sys.stderr.write('ws-exec: %s\n' % msg)
    sys.exit(code)


def kubeconfig(path):
    text = open(path).read()
    kv = {}
    for m in re.finditer(r'^[ \t]*([a-zA-Z-]+):[ \t]*(\S.*?)[ \t]*$', text, re.M):
        kv.setdefault(m.group(1), m.group(2).strip('"'))
    return kv


def frame(op, payload):
    return wsframe.frame(op, payload, masked=True)


def write_all(fd, b):
    mv = memoryview(b)
    while mv:
        n = os.write(fd, mv)
        mv = mv[n:]


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split('\n\n')[1])
    ap.add_argument('--kubeconfig', default=os.environ.get('KUBECONFIG'))
    ap.add_argument('-n', '--namespace', default='default')
    ap.add_argument('-c', '--container')
    ap.add_argument('-i', '--stdin', action='store_true')
    ap.add_argument('-t', '--tty', action='store_true')
    ap.add_argument('--size', help='WxH: send one resize message first (with -t)')
    ap.add_argument('--protocol', default='v4.channel.k8s.io')
    ap.add_argument('pod')
    ap.add_argument('command', nargs='+')
    a = ap.parse_args()
    if not a.kubeconfig:
        die(2, 'no kubeconfig (--kubeconfig or $KUBECONFIG)')
    kc = kubeconfig(a.kubeconfig)
    u = urllib.parse.urlsplit(kc['server'])
    ctx = ssl.create_default_context()
    if 'certificate-authority-data' in kc:
        ctx.load_verify_locations(cadata=base64.b64decode(kc['certificate-authority-data']).decode())
    elif 'certificate-authority' in kc:
        ctx.load_verify_locations(cafile=kc['certificate-authority'])
    hdrs = {}
    if 'token' in kc:
        hdrs['Authorization'] = 'Bearer ' + kc['token']
    elif 'tokenFile' in kc:
        hdrs['Authorization'] = 'Bearer ' + open(kc['tokenFile']).read().strip()
    if 'client-certificate-data' in kc or 'client-certificate' in kc:
        with tempfile.TemporaryDirectory() as d:
            def pem(k):
                if k + '-data' not in kc:
                    return kc[k]
                p = os.path.join(d, k)
                open(p, 'wb').write(base64.b64decode(kc[k + '-data']))
                return p
            ctx.load_cert_chain(pem('client-certificate'), pem('client-key'))

    q = [('command', c) for c in a.command]
    if a.container:
        q.append(('container', a.container))
    q += [('stdin', '1' if a.stdin else '0'), ('stdout', '1'), ('stderr', '0' if a.tty else '1'),
          ('tty', '1' if a.tty else '0')]
    path = '/api/v1/namespaces/%s/pods/%s/exec?%s' % (a.namespace, a.pod, urllib.parse.urlencode(q))
    raw = socket.create_connection((u.hostname, u.port or 443), timeout=30)
    s = ctx.wrap_socket(raw, server_hostname=u.hostname)
    key = base64.b64encode(os.urandom(16)).decode()
    req = ['GET %s HTTP/1.1' % path, 'Host: %s' % u.netloc, 'Connection: Upgrade', 'Upgrade: websocket',
           'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: ' + key,
           'Sec-WebSocket-Protocol: ' + a.protocol]
    req += ['%s: %s' % kv for kv in hdrs.items()]
    s.sendall(('\r\n'.join(req) + '\r\n\r\n').encode())
    buf = bytearray()
    while b'\r\n\r\n' not in buf:
        d = s.recv(65536)
        if not d:
            die(5, 'the connection closed before a response')
        buf += d
    i = buf.index(b'\r\n\r\n')
    head = bytes(buf[:i]).decode('latin-1').split('\r\n')
    del buf[:i + 4]
    code = int(head[0].split()[1])
    rh = {}
    for l in head[1:]:
        k, _, v = l.partition(':')
        rh[k.strip().lower()] = v.strip()
    if code != 101:
        n = int(rh.get('content-length', '-1'))
        s.settimeout(5)
        try:
            while n < 0 or len(buf) < n:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        except (OSError, ssl.SSLError):
            pass
        msg = bytes(buf).decode(errors='replace').strip()
        try:
            msg = json.loads(msg).get('message', msg)
        except ValueError:
            pass
        die(4, 'HTTP %d: %s' % (code, msg))
    want = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
    if rh.get('sec-websocket-accept') != want:
        die(5, 'bad Sec-WebSocket-Accept')
    proto = rh.get('sec-websocket-protocol', '')
    if proto != a.protocol:
        die(5, 'the server chose subprotocol %r' % proto)

    out = []
    if a.tty and a.size:
        w, h = a.size.split('x')
        out.append(frame(0x2, b'\x04' + json.dumps({'Width': int(w), 'Height': int(h)}).encode()))
    s.setblocking(False)
    status = None
    closed = close_frame = False
    in_fd = 0 if a.stdin else None
    pending = b''
    msg, msg_op = None, 0
    while not closed:
        if not pending and out:
            pending = b''.join(out)
            out.clear()
        r = [s] if not closed else []
        if in_fd is not None and not pending:
            r.append(in_fd)
        rr, ww, _ = select.select(r, [s] if pending else [], [], 30)
        if pending:
            try:
                n = s.send(pending)
                pending = pending[n:]
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
        if in_fd is not None and in_fd in rr:
            d = os.read(in_fd, 1 << 20)
            if d:
                out.append(frame(0x2, b'\x00' + d))
            else:
                in_fd = None
                if a.protocol.startswith('v5.'):
                    out.append(frame(0x2, b'\xff\x00'))
        if s in rr or s.pending():
            while True:
                try:
                    d = s.recv(1 << 18)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    break
                except (OSError, ssl.SSLError):
                    d = b''
                if not d:
                    closed = True
                    break
                buf += d
            while len(buf) >= 2:
                b0, b1 = buf[0], buf[1]
                n, pos = b1 & 0x7f, 2
                if n == 126:
                    if len(buf) < 4:
                        break
                    n, pos = struct.unpack_from('!H', buf, 2)[0], 4
                elif n == 127:
                    if len(buf) < 10:
                        break
                    n, pos = struct.unpack_from('!Q', buf, 2)[0], 10
                if len(buf) < pos + n:
                    break
                op, fin = b0 & 0x0f, b0 & 0x80
                payload = bytes(buf[pos:pos + n])
                del buf[:pos + n]
                if op == 0x8:
                    closed = True
                    close_frame = True
                    try:
                        s.setblocking(True)
                        s.sendall(frame(0x8, payload[:2]))
                    except (OSError, ssl.SSLError):
                        pass
                    break
                if op == 0x9:
                    out.append(frame(0xA, payload))
                    continue
                if op >= 0x8:
                    continue
                if op == 0:
                    if msg is None:
                        continue
                    msg += payload
                else:
                    msg, msg_op = bytearray(payload), op
                if not fin:
                    continue
                m, msg = bytes(msg), None
                if not m:
                    continue
                if 'base64' in a.protocol:
                    ch, data = int(chr(m[0])), base64.b64decode(m[1:])
                else:
                    ch, data = m[0], m[1:]
                if ch == 1:
                    write_all(1, data)
                elif ch == 2:
                    write_all(2, data)
                elif ch == 3:
                    try:
                        status = json.loads(data)
                    except ValueError:
                        status = {'status': 'Failure', 'message': data.decode(errors='replace')}
    v1 = not a.protocol.startswith(('v4.', 'v5.'))
    if status is None and v1 and close_frame:
        sys.exit(0)             # channel.k8s.io: no status means success
    if status is None:
        die(5, 'the exec stream dropped (no status)')
    m = re.search(r'exit code (\d+)', status.get('message') or '')
    if v1 and m:
        sys.exit(int(m.group(1)))
    if status.get('status') == 'Success':
        sys.exit(0)
    for c in (status.get('details') or {}).get('causes') or []:
        if c.get('reason') == 'ExitCode':
            sys.exit(int(c['message']))
    die(1, status.get('message') or 'exec failed')


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
