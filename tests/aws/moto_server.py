"""The local AWS endpoint for the tests: moto's server, one request at a time.

moto applies a DynamoDB transaction by copying the tables first and putting
the copy back when a condition fails; two requests served at once can then
undo each other's committed writes, which real DynamoDB never does (its
transactions are serialisable). Serving one request at a time keeps moto
faithful for the concurrency tests; connections stay open, so many clients
can still wait in line.

Usage: python3 tests/aws/moto_server.py HOST PORT
"""

import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serial(environ, start_response):
        with one_at_a_time:
            # The whole body is produced inside the lock.
            return list(app(environ, start_response))

    run_simple(host, port, serial, threaded=True)


if __name__ == "__main__":
    main()
