# A loopback HTTP server for HTTPSourceTests: serves the files of argv[1], the first path
# segment choosing how (honouring Range or not, chunked, redirects, broken answers).
# Prints "PORT IPV6" once it listens on 127.0.0.1 (and on ::1 with the same port when it can).
# With "--tls CERT KEY" it speaks HTTPS (TLS 1.2+) with that certificate chain and key.
import http.server, os, posixpath, random, socket, socketserver, ssl, sys, threading, time

ROOT = sys.argv[1]
TLS = None
if sys.argv[2:3] == ["--tls"]:
    TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    TLS.minimum_version = ssl.TLSVersion.TLSv1_2
    TLS.load_cert_chain(sys.argv[3], sys.argv[4])


def watch_stdin():
    # Exit as soon as the test process's end of stdin closes, so no server outlives its test.
    while sys.stdin.buffer.read(1):
        pass
    os._exit(0)


threading.Thread(target=watch_stdin, daemon=True).start()
REQUESTS = {"count": 0}
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with LOCK:
            REQUESTS["count"] += 1
            number = REQUESTS["count"]
        path = posixpath.normpath(self.path)
        parts = path.strip("/").split("/")
        mode, rest = parts[0], "/".join(parts[1:])
        special = getattr(self, "mode_" + mode.replace("-", "_"), None)
        if special is None:
            return self.plain_error(404, "Not Found")
        special(rest, number)

    # Helpers

    def plain_error(self, code, reason):
        body = b"%d %s\n" % (code, reason.encode())
        self.send_response(code, reason)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def file(self, name):
        full = os.path.join(ROOT, name)
        if not name or "/" in name or not os.path.isfile(full):
            return None
        with open(full, "rb") as handle:
            return handle.read()

    def range_start(self, total):
        header = self.headers.get("Range", "")
        if not header.startswith("bytes="):
            return None
        first, _, last = header[6:].partition("-")
        return int(first), (int(last) if last else total - 1)

    def ranged(self, name, cap=None, chunked=False, etag=None, pad=0, short=0):
        data = self.file(name)
        if data is None:
            return self.plain_error(404, "Not Found")
        data += b"\0" * pad
        first, last = self.range_start(len(data)) or (0, len(data) - 1)
        if cap:
            last = min(last, first + cap - 1)
        body = data[first:last + 1]
        self.send_response(206, "Partial Content")
        self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, len(data)))
        if etag:
            self.send_header("ETag", etag)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            return self.send_chunked(body)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) - short])
        if short:
            self.close_connection = True

    def send_chunked(self, body, trailer=b""):
        offset = 0
        rng = random.Random(len(body))
        while offset < len(body):
            size = rng.randint(1, 70000)
            piece = body[offset:offset + size]
            extension = b";name=value" if rng.random() < 0.3 else b""
            self.wfile.write(b"%x%s\r\n%s\r\n" % (len(piece), extension, piece))
            offset += size
        self.wfile.write(b"0\r\n" + trailer + b"\r\n")

    # Modes

    def mode_range(self, name, number):
        self.ranged(name)

    def mode_capped(self, name, number):
        self.ranged(name, cap=100000)

    def mode_chunked(self, name, number):
        self.ranged(name, chunked=True)

    def mode_plain(self, name, number):
        data = self.file(name)
        if data is None:
            return self.plain_error(404, "Not Found")
        self.send_response(200, "OK")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def mode_chunked_nosize(self, name, number):
        data = self.file(name) or b""
        self.send_response(200, "OK")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.send_chunked(data, trailer=b"X-Trailer: yes\r\n")

    def mode_redirect(self, rest, number):
        count, _, name = rest.partition("/")
        count = int(count)
        if count == 0:
            location = "../../range/" + name  # relative to /redirect/0/
        elif count % 2 == 0:
            location = "http://127.0.0.1:%d/redirect/%d/%s" % (self.server.server_address[1], count - 1, name)
        else:
            location = "/redirect/%d/%s" % (count - 1, name)
        self.send_response([301, 302, 303, 307, 308][count % 5])
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def mode_goto(self, target, number):
        # /goto/HEX: a 302 to the URL whose UTF-8 is HEX (another server, another scheme).
        self.send_response(302)
        self.send_header("Location", bytes.fromhex(target).decode())
        self.send_header("Content-Length", "0")
        self.end_headers()

    def mode_until_close(self, name, number):
        # No length: the body ends where the connection closes (never with close_notify).
        data = self.file(name) or b""
        self.send_response(200, "OK")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def mode_loop(self, rest, number):
        self.send_response(302)
        self.send_header("Location", "/loop/again")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def mode_changing(self, name, number):
        self.ranged(name, pad=number)

    def mode_etag(self, name, number):
        self.ranged(name, etag='"v%d"' % number)

    def mode_truncated(self, name, number):
        # The first answer is whole; later ones stop 1000 bytes short and close.
        self.ranged(name, short=0 if number == 1 else 1000)

    def mode_nothing(self, rest, number):
        self.close_connection = True

    def mode_silent(self, rest, number):
        time.sleep(30)

    def mode_hostile_header(self, rest, number):
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for index in range(20000):
            self.wfile.write(b"X-Filler-%d: %s\r\n" % (index, b"a" * 100))
        self.close_connection = True

    def mode_hostile_line(self, rest, number):
        self.wfile.write(b"HTTP/1.1 200 " + b"x" * 200000)
        self.close_connection = True

    def mode_hostile_chunk(self, rest, number):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc")
        self.close_connection = True

    def mode_bad_status(self, rest, number):
        self.wfile.write(b"SPDY/9 banana\r\n\r\n")
        self.close_connection = True

    def mode_bad_length(self, rest, number):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n")
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        # The handshake happens in the handler's thread, at its first read: a client that
        # refuses the certificate costs that thread only.
        connection, address = super().get_request()
        if TLS is not None:
            connection = TLS.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address

    def handle_error(self, request, client_address):
        pass  # refused handshakes are what some tests are about


class Server6(Server):
    address_family = socket.AF_INET6


server = Server(("127.0.0.1", 0), Handler)
port = server.server_address[1]
ipv6 = 0
try:
    server6 = Server6(("::1", port), Handler)
    threading.Thread(target=server6.serve_forever, daemon=True).start()
    ipv6 = 1
except OSError:
    pass
print(port, ipv6, flush=True)
server.serve_forever()
