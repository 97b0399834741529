import http.server
import pathlib

COUNT = pathlib.Path("/data/visits")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        visits = int(COUNT.read_text()) + 1 if COUNT.exists() else 1
        COUNT.write_text(str(visits))
        body = f"visits {visits}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
