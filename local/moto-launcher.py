"""Runs moto_server with fixes for speed, for one DynamoDB call moto cannot run, and for its own exit.

1. A cache in front of jsonpath_ng's parser. moto builds a new jsonpath parser (ply tables) for every path of
   every rule target's input template, for every event: about 45 ms each, eight per target, which holds
   EventBridge-to-SQS delivery to a few events a second. The parsed expressions are pure values, so caching
   them by path changes nothing but the speed.
2. PartiQL `INSERT` in `BatchExecuteStatement`, which the ingest uses to claim up to 25 records per request.
   moto 5.2 answers it with a 500 (its PartiQL parser cannot read `INSERT ... VALUE {...}`), and it would
   otherwise copy every item of every table for each statement. DynamoDB's documented behaviour is small:
   each statement is its own conditional put, and an item that already has the key fails that statement
   alone with `DuplicateItem`
   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html). Only the
   form the ingest sends is taken here (`INSERT INTO "<table>" VALUE {'<name>': ?, ...}`, every value a
   parameter); every other batch goes to moto unchanged.

3. SQS sends in constant time. moto reads a queue's whole attribute set (three times) for every message
   it sends, only to look up ContentBasedDeduplication, and that set counts the queue's messages by walking
   all of them with clock reads: a send costs time in proportion to the messages already queued, so rule
   delivery to a route queue nobody drains slows down with every event (2 ms per send at 6,000 messages).
   During a send, the queue answers that one attribute without counting; every other read is moto's own.

4. It exits when its parent does. `npm start` and the test setup stop moto on the way out, but a parent killed
   with SIGKILL cannot, and moto_server would be left serving on its port for good.

Arguments are moto_server's own (-H, -p, ...).
"""
import functools
import json
import os
import re
import sys
import threading
import time

import jsonpath_ng.ext

jsonpath_ng.ext.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parse)

from moto.dynamodb.exceptions import MockValidationException  # noqa: E402  (after the patch, on purpose)
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: E402
from moto.dynamodb.responses import DynamoHandler  # noqa: E402
from moto.server import main  # noqa: E402
from moto.sqs.models import Queue, SQSBackend  # noqa: E402

_INSERT = re.compile(r'^\s*INSERT\s+INTO\s+"([^"]+)"\s+VALUE\s+\{(.*)\}\s*$', re.IGNORECASE | re.DOTALL)
_FIELD = re.compile(r"^\s*'([^']+)'\s*:\s*\?\s*$")
_batch_execute_statement = DynamoDBBackend.batch_execute_statement


def _insert_fields(statement):
    """The table and attribute names of an `INSERT ... VALUE {'a': ?, ...}`, or None for any other form."""
    match = _INSERT.match(statement)
    if not match:
        return None
    fields = [_FIELD.match(part) for part in match.group(2).split(",")]
    if not all(fields):
        return None
    return match.group(1), [field.group(1) for field in fields]


def _batch_insert(self, statements):
    parsed = [_insert_fields(statement.get("Statement", "")) for statement in statements]
    if not statements or not all(parsed):
        return _batch_execute_statement(self, statements)
    responses = []
    for statement, (table_name, names) in zip(statements, parsed):
        parameters = statement.get("Parameters", [])
        if len(parameters) != len(names):
            responses.append(
                {"Error": {"Code": "ValidationError", "Message": "Number of parameters does not match"}}
            )
            continue
        if table_name not in self.tables:
            responses.append(
                {"Error": {"Code": "ResourceNotFound", "Message": "Requested resource not found"}}
            )
            continue
        table = self.tables[table_name]
        item = dict(zip(names, parameters))
        hash_value = item.get(table.hash_key_attr)
        range_value = item.get(table.range_key_attr) if table.range_key_attr else None
        # The existence check, without moto's condition-expression parser (most of the time of a put).
        if hash_value is not None and table.get_item(
            DynamoType(hash_value), DynamoType(range_value) if range_value is not None else None
        ):
            responses.append(
                {
                    "TableName": table_name,
                    "Error": {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"},
                }
            )
            continue
        try:
            table.put_item(item)
            responses.append({"TableName": table_name})
        except MockValidationException as error:
            responses.append(
                {"TableName": table_name, "Error": {"Code": "ValidationError", "Message": error.exception_msg}}
            )
    return responses


DynamoDBBackend.batch_execute_statement = _batch_insert
_handle_batch_execute_statement = DynamoHandler.batch_execute_statement


def _handle_batch_insert(self):
    statements = self.body.get("Statements", [])
    if not statements or not all(_insert_fields(statement.get("Statement", "")) for statement in statements):
        return _handle_batch_execute_statement(self)
    # The answer as JSON text: moto's model-driven serializer takes longer than the inserts themselves.
    return json.dumps({"Responses": _batch_insert(self.dynamodb_backend, statements)})


DynamoHandler.batch_execute_statement = _handle_batch_insert

_sending = threading.local()
_queue_attributes = Queue.attributes.fget
_send_message = SQSBackend.send_message


def _attributes(queue):
    if getattr(_sending, "active", False):
        # All that a send reads (sqs/models.py: _validate_message, send_message, add_message).
        if not queue.fifo_queue:
            return {}
        return {"ContentBasedDeduplication": str(bool(getattr(queue, "content_based_deduplication", False))).lower()}
    return _queue_attributes(queue)


def _send_message_quickly(self, *args, **kwargs):
    _sending.active = True
    try:
        return _send_message(self, *args, **kwargs)
    finally:
        _sending.active = False


Queue.attributes = property(_attributes)
SQSBackend.send_message = _send_message_quickly


def _exit_with_parent():
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


_exit_with_parent()
sys.exit(main())
