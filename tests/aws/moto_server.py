"""The local AWS endpoint for the tests: moto's server, one request at a time.

moto applies a DynamoDB transaction by copying the tables first and putting
the copy back when a condition fails; two requests served at once can then
undo each other's committed writes, which real DynamoDB never does (its
transactions are serialisable). Serving one request at a time keeps moto
faithful for the concurrency tests; connections stay open, so many clients
can still wait in line.

That copy is a deep copy of the whole table, for every transaction: at
100,000 items it takes seconds, and the server's memory grew by about half a
gigabyte a transaction. `--fast-transactions` (for
the remind benchmark) copies the table's item index shallowly and only the
items the transaction touches deeply, which restores the same state when a
condition fails; the contract and remind suites pass with it too.

Usage: python3 tests/aws/moto_server.py HOST PORT [--fast-transactions]
"""

import copy
import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def fast_transactions() -> None:
    """Makes moto's transaction backup cost what the transaction touches."""
    from moto.dynamodb import models

    backend = models.DynamoDBBackend
    whole_table_transaction = backend.transact_write_items
    # The keys the transaction under way touches, by table name; one
    # request is served at a time, so one slot is enough.
    touched: dict = {}

    def item_keys(self, transact_items):
        keys: dict = {}
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            if "Item" in op:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            keys.setdefault(table.name, []).append(self.get_keys_value(table, key))
        return keys

    def transact_write_items(self, transact_items):
        try:
            keys = item_keys(self, transact_items)
        except Exception:
            # A malformed request: moto's own copy, and its own error.
            keys = None
        touched.clear()
        if keys is not None:
            touched.update(keys)
            touched["__active__"] = True
        try:
            return whole_table_transaction(self, transact_items)
        finally:
            touched.clear()

    def snapshot(table):
        """The table as it is now, for putting back: its item index copied
        shallowly (the transaction changes none of the other items), and
        for the keys it touches the items copied deeply (updates change them
        in place) and their range-key maps copied (puts and deletes change
        those in place). moto asks once per item of the transaction, before
        any is applied: the first copy serves them all."""
        cached = touched.get(("__snapshot__", table.name))
        if cached is not None:
            return cached
        clone = copy.copy(table)
        items = copy.copy(table.items)
        for hash_key, range_key in touched.get(table.name, []):
            if hash_key not in items:
                continue
            if table.range_key_attr is not None:
                if items[hash_key] is table.items[hash_key]:
                    items[hash_key] = dict(items[hash_key])
                current = items[hash_key].get(range_key)
                if current is not None:
                    items[hash_key][range_key] = copy.deepcopy(current)
            else:
                items[hash_key] = copy.deepcopy(items[hash_key])
        clone.items = items
        touched[("__snapshot__", table.name)] = clone
        return clone

    class CopyShim:
        """`copy` as the DynamoDB backend module sees it."""

        copy = staticmethod(copy.copy)

        @staticmethod
        def deepcopy(value, *args, **kwargs):
            if touched.get("__active__") and isinstance(value, models.Table):
                return snapshot(value)
            return copy.deepcopy(value, *args, **kwargs)

    models.copy = CopyShim
    backend.transact_write_items = transact_write_items


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    host, port = args[0], int(args[1])
    if "--fast-transactions" in sys.argv[1:]:
        fast_transactions()
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serial(environ, start_response):
        with one_at_a_time:
            # The whole body is produced inside the lock.
            return list(app(environ, start_response))

    run_simple(host, port, serial, threaded=True)


if __name__ == "__main__":
    main()
