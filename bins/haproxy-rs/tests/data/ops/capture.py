import socket, sys
def q(path, cmd):
    if path.startswith('tcp:'):
        s = socket.create_connection(('127.0.0.1', int(path[4:])))
    else:
        s = socket.socket(socket.AF_UNIX); s.connect(path)
    s.sendall(cmd)
    out = b''
    s.settimeout(3)
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except socket.timeout:
        out += b'<<TIMEOUT>>'
    s.close()
    return out
sys.stdout.buffer.write(q(sys.argv[1], sys.argv[2].encode().decode('unicode_escape').encode('latin1')))
