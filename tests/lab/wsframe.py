"""RFC 6455 framing shared by the lab's kubelet API (the server end,
tests/lab/kubelet-api.py) and its exec client (tests/lab/ws-exec.py)."""
import os
import struct


def xor_mask(data, key):
    """Mask or unmask @data with the 4-byte @key (the same operation)."""
    n = len(data)
    if n == 0:
        return b''
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, 'little') ^ int.from_bytes(k, 'little')).to_bytes(n, 'little')


def frame(op, payload, masked=False):
    """One final frame; a client's (masked=True) with a random key."""
    n = len(payload)
    m = 0x80 if masked else 0
    if n < 126:
        h = struct.pack('!BB', 0x80 | op, m | n)
    elif n < 65536:
        h = struct.pack('!BBH', 0x80 | op, m | 126, n)
    else:
        h = struct.pack('!BBQ', 0x80 | op, m | 127, n)
    if not masked:
        return h + payload
    key = os.urandom(4)
    return h + key + xor_mask(payload, key)
