"""Run a moto server (S3, SQS, DynamoDB) on 127.0.0.1 on a port the OS picks.

Prints the port as the first line of stdout so the caller learns it without racing for a free
port. With --until-stdin-closes it exits as soon as its parent goes away (the test harness
holds the pipe), so no test run leaves a server behind.
"""

import argparse
import os
import signal
import sys
import threading

from moto.server import ThreadedMotoServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--until-stdin-closes", action="store_true")
    args = parser.parse_args()

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
