#!/usr/bin/python3
"""Small TCP forwarder for the knet lab.

  fwd.py --listen 127.0.0.1:6443 --target 198.18.0.1:6443 [--netns lab-cp]

The listening socket is created in the namespace the forwarder starts in.
With --netns NAME it then re-executes itself through `ip netns exec NAME`,
inheriting the listening socket (sockets stay in the netns they were made
in), so outgoing connections are made from inside NAME. One process, one
thread per direction per connection: no fork/exec per connection.
"""
import argparse, os, socket, sys, threading

def pump(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def handle(c, target):
    try:
        u = socket.create_connection(target, timeout=10)
        u.settimeout(None)
    except OSError:
        c.close()
        return
    for s in (c, u):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t = threading.Thread(target=pump, args=(u, c), daemon=True)
    t.start()
    pump(c, u)
    t.join()
    c.close()
    u.close()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--listen')
    ap.add_argument('--fd', type=int)
    ap.add_argument('--target', required=True)
    ap.add_argument('--netns')
    a = ap.parse_args()
    if a.fd is None:
        host, port = a.listen.rsplit(':', 1)
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, int(port)))
        ls.listen(512)
        if a.netns:
            fd = ls.fileno()
            os.set_inheritable(fd, True)
            os.execv('/usr/sbin/ip', ['ip', 'netns', 'exec', a.netns, sys.executable,
                                      os.path.abspath(__file__), '--fd', str(fd),
                                      '--target', a.target])
    else:
        ls = socket.socket(fileno=a.fd)
    th, tp = a.target.rsplit(':', 1)
    target = (th, int(tp))
    while True:
        try:
            c, _ = ls.accept()
        except OSError:
            continue
        threading.Thread(target=handle, args=(c, target), daemon=True).start()

if __name__ == '__main__':
    main()
