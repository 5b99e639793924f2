"""loopback: what the test suite's own S3 servers (fakes3.py, synthlist.py)
share - serving a handler class on 127.0.0.1 in a thread, stopping it, and
the environment that points cdnpipe at such a server with no host AWS_*
setting leaking in."""
import http.server
import os
import threading


def serve(handler, port=0):
    """(server, url) of a threading HTTP server for handler, already running."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


def shutdown(server):
    if server:
        server.shutdown()
        server.server_close()


def env(url, cache_dir, key, secret, base=None):
    """Environment for cdnpipe against url, with cache_dir as its cache."""
    out = {k: v for k, v in (base or os.environ).items() if not k.startswith("AWS_")}
    empty = os.path.join(str(cache_dir), "aws-empty")
    open(empty, "a").close()
    out.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_ENDPOINT_URL": url, "AWS_REGION": "us-east-1",
                "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
                "AWS_EC2_METADATA_DISABLED": "true", "XDG_CACHE_HOME": str(cache_dir)})
    return out
