"""An S3 API server on loopback for ordo's object-storage tests: moto,
serving one request at a time so that its conditional PUT
(`If-None-Match: *`, which moto checks and then writes in two steps) is
atomic under racing writers, as S3's is.

    python tests/s3/server.py PORT_FILE [BUCKET...]

Binds 127.0.0.1 on a free port, creates the buckets, writes the port to
PORT_FILE once it serves, and runs until killed.
"""

import os
import sys

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


def main() -> None:
    port_file = sys.argv[1]
    buckets = sys.argv[2:] or ["ordo"]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    port = server.socket.getsockname()[1]

    # Buckets through moto's own backend, before serving.
    from moto.backends import get_backend

    s3 = get_backend("s3")["123456789012"]["global"]
    for bucket in buckets:
        s3.create_bucket(bucket, "us-east-1")

    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.replace(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
