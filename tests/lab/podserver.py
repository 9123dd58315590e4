#!/usr/bin/python3
"""knet lab pod process: real servers on the pod's declared container ports.

  --http PORT   HTTP server: body names pod, namespace, IP, node and path
                (/healthz answers "ok")
  --tcp PORT    TCP server: sends a banner line, then echoes
  --udp PORT    UDP echo
Writes --ready-file once every socket is bound, then serves forever.
"""
import argparse, os, signal, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import socketserver

a = None

def ident():
    return 'pod=%s namespace=%s ip=%s node=%s' % (a.name, a.namespace, a.ip, a.node)

class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        if self.path == '/healthz':
            body = b'ok\n'
        else:
            body = ('%s port=%d path=%s\n' % (ident(), self.server.server_address[1], self.path)).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('X-Pod-Name', a.name)
        self.end_headers()
        self.wfile.write(body)
    do_POST = do_GET
    def do_HEAD(self):
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *args):
        pass

class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        try:
            s.sendall(('knet-lab %s port=%d\n' % (ident(), self.server.server_address[1])).encode())
            while True:
                b = s.recv(65536)
                if not b:
                    break
                s.sendall(b)
        except OSError:
            pass

class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

def udp_echo(sock):
    while True:
        try:
            b, peer = sock.recvfrom(65536)
            sock.sendto(b, peer)
        except OSError:
            time.sleep(0.1)

def main():
    global a
    ap = argparse.ArgumentParser()
    for o in ('--name', '--namespace', '--ip', '--node', '--ready-file'):
        ap.add_argument(o, default='')
    ap.add_argument('--http', type=int, action='append', default=[])
    ap.add_argument('--tcp', type=int, action='append', default=[])
    ap.add_argument('--udp', type=int, action='append', default=[])
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *x: os._exit(0))
    threads = []
    for p in a.http:
        srv = HTTPServer(('0.0.0.0', p), H)
        threads.append(threading.Thread(target=srv.serve_forever, daemon=True))
    for p in a.tcp:
        srv = TCPServer(('0.0.0.0', p), TCPHandler)
        threads.append(threading.Thread(target=srv.serve_forever, daemon=True))
    for p in a.udp:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('0.0.0.0', p))
        threads.append(threading.Thread(target=udp_echo, args=(s,), daemon=True))
    for t in threads:
        t.start()
    if a.ready_file:
        with open(a.ready_file, 'w') as f:
            f.write('%d\n' % os.getpid())
    while True:
        time.sleep(3600)

if __name__ == '__main__':
    main()
