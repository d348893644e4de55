"""Run a moto server (S3, SQS, DynamoDB) on 127.0.0.1 on a port the OS picks.

Prints the port as the first line of stdout so the caller learns it without racing for a free
port. With --until-stdin-closes it exits as soon as its parent goes away (the test harness
holds the pipe), so no test run leaves a server behind.
"""

import argparse
import copy
import inspect
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.server import ThreadedMotoServer


def serialise_dynamodb() -> None:
    """Answer one DynamoDB request at a time, as DynamoDB's own isolation would.

    moto's server is threaded and its DynamoDB backend takes no lock: a transaction checks its
    conditions, writes, and on failure puts back a copy of the whole table taken before it
    began. Two concurrent transactions on one item can then both succeed, or the failed one
    can put back a table without the winner's write, and a concurrent read can see a
    half-written transaction. DynamoDB promises none of that (conditional writes are atomic,
    transactions serialisable), so the emulator is made to keep the promise. The table's
    stream is read under the same lock: a reader never sees the records of a transaction that
    is then undone.
    """
    lock = threading.Lock()
    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        call_action = handler.call_action

        def serialised(self, call_action=call_action):  # type: ignore[no-untyped-def]
            with lock:
                return call_action(self)

        handler.call_action = serialised  # type: ignore[method-assign]


def roll_back_touched_items_only() -> None:
    """Undo a failed transaction by putting back the items it named, not the whole table.

    moto copies every table a transaction names, whole, before it starts (to put it back if
    the transaction fails), its stream's records included: 35 ms a transaction at 1,000 items
    here, and growing with every write, which made a load run measure moto's copying rather
    than the service. A transaction writes only the items it names, and with the
    serialisation above nothing else writes meanwhile, so a copy of those items, taken before
    and put back on failure, undoes exactly what the whole copy did.
    """
    transact = DynamoDBBackend.transact_write_items

    class TablesByReference:
        """`copy` for moto's models module, keeping tables by reference (copied above)."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

    dynamodb_models.copy = TablesByReference()  # type: ignore[assignment]
    # A moto that no longer copies through its module's `copy` would copy whole tables again.
    assert "copy.deepcopy(" in inspect.getsource(transact), "moto's transactions changed"

    def snapshot(self: DynamoDBBackend, items: list[dict[str, Any]]) -> tuple[list, dict]:
        """Copies of the items a transaction names, and each stream's length before it."""
        named, streams = [], {}
        for entry in items:
            op = next(iter(entry.values()), {})
            try:
                table = self.get_table(op.get("TableName"))  # a name or an ARN
            except Exception:  # moto refuses the transaction before writing anything
                continue
            key = op.get("Key") or op.get("Item") or {}
            hash_attr, range_attr = table.hash_key_attr, table.range_key_attr
            if hash_attr not in key or (range_attr is not None and range_attr not in key):
                continue  # moto refuses it before writing anything
            hash_key = DynamoType(key[hash_attr])
            range_key = DynamoType(key[range_attr]) if range_attr is not None else None
            before = table.get_item(hash_key, range_key)
            named.append((table, hash_key, range_key, copy.deepcopy(before)))
            if table.stream_shard is not None:
                streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
        return named, streams

    def put_back(table: Table, hash_key: DynamoType, range_key: Any, item: Any) -> None:
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item

    def transact_write_items(self: DynamoDBBackend, items: list[dict[str, Any]]) -> None:
        named, streams = snapshot(self, items)
        try:
            transact(self, items)
        except Exception:
            for table, hash_key, range_key, item in reversed(named):
                put_back(table, hash_key, range_key, item)
            # The stream records of the writes undone (no reader saw them: streams are read
            # under the same lock).
            for shard, length in streams.values():
                del shard.items[length:]
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def idempotent_transactions() -> None:
    """Honour a transaction's `ClientRequestToken`, as DynamoDB does and moto does not.

    The AWS SDKs give every TransactWriteItems a token and send it again when they retry. A
    retry after a lost answer (the connection dropped once the write was done) is then, in
    DynamoDB, a success that changes nothing; in moto it ran again, failed its own conditions
    and the service answered a conflict for a write it had made. For 10 minutes a token
    repeated with the same items succeeds without writing, and with other items is refused
    (IdempotentParameterMismatchException); a token whose transaction failed may run again.
    """
    handle = DynamoHandler.transact_write_items
    done: dict[str, tuple[float, str]] = {}
    window = 600.0

    class Mismatch(JsonRESTError):
        code = 400

        def __init__(self) -> None:
            super().__init__(
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical request.",
            )

    def transact(self):  # type: ignore[no-untyped-def]
        token = self.body.get("ClientRequestToken")
        if token is None:
            return handle(self)
        items = json.dumps(self.body["TransactItems"], sort_keys=True)
        now = time.monotonic()
        # Oldest first (insertion order): stop at the first one still live.
        while done:
            oldest = next(iter(done))
            if now - done[oldest][0] < window:
                break
            del done[oldest]
        if token in done:
            if done[token][1] != items:
                raise Mismatch()
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        result = handle(self)
        done[token] = (now, items)
        return result

    DynamoHandler.transact_write_items = transact  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--until-stdin-closes", action="store_true")
    args = parser.parse_args()

    serialise_dynamodb()
    roll_back_touched_items_only()
    idempotent_transactions()
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
