"""Run a moto server (S3, SQS, DynamoDB) on 127.0.0.1 on a port the OS picks.

Prints the port as the first line of stdout so the caller learns it without racing for a free
port. With --until-stdin-closes it exits as soon as its parent goes away (the test harness
holds the pipe), so no test run leaves a server behind.
"""

import argparse
import logging
import os
import signal
import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import ThreadedMotoServer


def serialise_dynamodb() -> None:
    """Answer one DynamoDB request at a time, as DynamoDB's own isolation would.

    moto's server is threaded and its DynamoDB backend takes no lock: a transaction checks its
    conditions, writes, and on failure puts back a copy of the whole table taken before it
    began. Two concurrent transactions on one item can then both succeed, or the failed one
    can put back a table without the winner's write, and a concurrent read can see a
    half-written transaction. DynamoDB promises none of that (conditional writes are atomic,
    transactions serialisable), so the emulator is made to keep the promise.
    """
    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def serialised(self):  # type: ignore[no-untyped-def]
        with lock:
            return call_action(self)

    DynamoHandler.call_action = serialised  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--until-stdin-closes", action="store_true")
    args = parser.parse_args()

    serialise_dynamodb()
    # werkzeug logs every request to stderr: thousands of lines in a test run's log, burying
    # the tests' own output. Its errors still show.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # moto builds some URLs (SQS queue URLs, S3 notifications) from this.
    os.environ["MOTO_PORT"] = str(port)
    print(port, flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if args.until_stdin_closes:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
