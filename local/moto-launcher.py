"""Runs moto_server with fixes for speed, for one DynamoDB call moto cannot run, for atomic DynamoDB requests,
and for its own exit. Each fix keeps what moto answers; only how fast, or how atomically, changes.

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
   parameter); every other batch goes to moto unchanged. A batch whose parameters are plain JSON values is
   answered before Flask and moto's request set-up, which cost more than its 25 inserts.
3. SQS sends in constant time. moto reads a queue's whole attribute set (three times) for every message
   it sends, only to look up ContentBasedDeduplication, and that set counts the queue's messages by walking
   all of them with clock reads: a send costs time in proportion to the messages already queued, so rule
   delivery to a route queue nobody drains slows down with every event (2 ms per send at 6,000 messages).
   During a send, the queue answers that one attribute without counting; every other read is moto's own.
4. One DynamoDB request at a time, as DynamoDB applies each write and transaction atomically (moto alone does
   not; see `_call_action_atomically`). local/serializing-proxy.ts is not needed in front of this moto.
5. Keep-alive connections (werkzeug closes each one after a response: a TCP accept and a new thread per AWS
   call), and per-request costs that are the same for every request done once: which backend serves a host,
   which methods a response class has, werkzeug's log line, and moto's item size check (once per item instead
   of once per attribute).
6. It exits when its parent does. `npm start` and the test setup stop moto on the way out, but a parent killed
   with SIGKILL cannot, and moto_server would be left serving on its port for good.

MOTO_LAUNCHER_PROFILE=<prefix> (and MOTO_LAUNCHER_CPROFILE=1) write where moto's time goes: see
`_profile_requests`. Arguments are moto_server's own (-H, -p, ...).
"""
import functools
import io
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
import zlib

import jsonpath_ng.ext
import werkzeug.serving

jsonpath_ng.ext.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parse)

# After the patch above, on purpose: moto binds the parser when it is imported.
import moto.backends  # noqa: E402
import moto.core.responses  # noqa: E402
import moto.settings  # noqa: E402
from moto.core.responses import BaseResponse  # noqa: E402
from moto.dynamodb.exceptions import ItemSizeTooLarge, MockValidationException  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict  # noqa: E402
from moto.dynamodb.models.utilities import bytesize  # noqa: E402
from moto.dynamodb.responses import DynamoHandler  # noqa: E402
from moto.iam.models import get_account_id_from, mark_account_as_visited  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: E402
from moto.server import main  # noqa: E402
from moto.sqs.models import Queue, SQSBackend  # noqa: E402

# The installed services never change while the server runs, and the backend serving a host name is a pure
# function of it: looked up once per name instead of a directory scan and ~200 regular expressions per request
# under the server's one global lock.
_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules
DomainDispatcherApplication.get_backend_for_host = functools.lru_cache(maxsize=1024)(
    DomainDispatcherApplication.get_backend_for_host
)
# Likewise the handler methods of a response class, which moto lists with inspect.getmembers per request.
moto.core.responses.method_names_from_class = functools.lru_cache(maxsize=None)(
    moto.core.responses.method_names_from_class
)
# werkzeug's line per request goes to a pipe nobody reads (local/moto.ts keeps stderr for start-up errors,
# which are printed, not logged); warnings and errors still pass.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _item_init(self, hash_key, range_key, attrs):
    """moto's Item, with its 400 KB limit checked once: moto sums the item's size again for every attribute it
    adds (LimitedSizeDict), most of the time of a put. Sizes only add up, so the total passing the limit is
    exactly when moto's check would fail."""
    self.hash_key = hash_key
    self.range_key = range_key
    converted = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        value = DynamoType(value)
        size += bytesize(key) + value.size()
        dict.__setitem__(converted, key, value)
    if size > 405000:
        raise ItemSizeTooLarge
    self.attrs = converted


Item.__init__ = _item_init

_INSERT = re.compile(r'^\s*INSERT\s+INTO\s+"([^"]+)"\s+VALUE\s+\{(.*)\}\s*$', re.IGNORECASE | re.DOTALL)
_FIELD = re.compile(r"^\s*'([^']+)'\s*:\s*\?\s*$")
_batch_execute_statement = DynamoDBBackend.batch_execute_statement


@functools.lru_cache(maxsize=256)
def _insert_fields(statement):
    """The table and attribute names of an `INSERT ... VALUE {'a': ?, ...}`, or None for any other form.
    Cached: a batch repeats one statement text with different parameters."""
    match = _INSERT.match(statement)
    if not match:
        return None
    fields = [_FIELD.match(part) for part in match.group(2).split(",")]
    if not all(fields):
        return None
    return match.group(1), tuple(field.group(1) for field in fields)


def _is_insert(statement):
    text = statement.get("Statement") if isinstance(statement, dict) else None
    return isinstance(text, str) and _insert_fields(text) is not None


def _batch_insert(self, statements):
    if not statements or not all(_is_insert(statement) for statement in statements):
        return _batch_execute_statement(self, statements)
    parsed = [_insert_fields(statement["Statement"]) for statement in statements]
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
    if not statements or not all(_is_insert(statement) for statement in statements):
        return _handle_batch_execute_statement(self)
    # The answer as JSON text: moto's model-driven serializer takes longer than the inserts themselves.
    return json.dumps({"Responses": _batch_insert(self.dynamodb_backend, statements)})


DynamoHandler.batch_execute_statement = _handle_batch_insert

# Wire types that JSON carries as moto's model-driven parser would read them (a blob, B or BS, is base64 text
# that the parser decodes).
_PLAIN_TYPES = {"S": str, "N": str, "BOOL": bool, "NULL": bool, "SS": list, "NS": list}


def _plain_insert_batch(body):
    """A batch of INSERTs whose parameters are all plain (strings, numbers, booleans, sets of strings or
    numbers), read with json.loads, or None for any other request body."""
    try:
        request = json.loads(body)
    except (TypeError, ValueError):
        return None
    statements = request.get("Statements") if isinstance(request, dict) else None
    if not isinstance(statements, list) or not statements or not all(map(_is_insert, statements)):
        return None
    for statement in statements:
        parameters = statement.get("Parameters", [])
        if not isinstance(parameters, list):
            return None
        for value in parameters:
            if not isinstance(value, dict) or len(value) != 1:
                return None
            ((kind, plain),) = value.items()
            if not isinstance(plain, _PLAIN_TYPES.get(kind, ())):
                return None
            if isinstance(plain, list) and not all(isinstance(member, str) for member in plain):
                return None
    return request


_dynamodb_lock = threading.RLock()
_dynamodb_call_action = DynamoHandler.call_action


def _call_action_atomically(self):
    """One DynamoDB request at a time. moto runs each request on a thread of its own without locking, so two
    conditional writes of one item could both pass their condition (20 racing conditional updates of one
    counter produced a duplicate in 2 of 15 rounds), and a cancelled transaction restores a snapshot of its
    tables over writes that finished meanwhile. Python runs one thread at a time anyway, so the lock costs no
    throughput; other services still run beside DynamoDB."""
    with _dynamodb_lock:
        return _dynamodb_call_action(self)


DynamoHandler.call_action = _call_action_atomically

_BATCH_EXECUTE_STATEMENT = "DynamoDB_20120810.BatchExecuteStatement"
_dispatch_request = DomainDispatcherApplication.__call__


def _answer_insert_batch(environ):
    """The answer to a batch of plain INSERTs, which this file runs itself (above), or None for any other
    request. Answered before Flask and moto's request set-up (routing, the model-driven parser that walks every
    parameter), which cost more than the 25 inserts. The region and account are found as moto finds them
    (BaseResponse.get_region_from_url and get_current_account), and the answer has moto's headers."""
    if (
        environ.get("HTTP_X_AMZ_TARGET") != _BATCH_EXECUTE_STATEMENT
        or environ.get("REQUEST_METHOD") != "POST"
        or environ.get("HTTP_CONTENT_ENCODING")
        or moto.settings.INITIAL_NO_AUTH_ACTION_COUNT != float("inf")
        or not environ.get("CONTENT_LENGTH", "").isdigit()
    ):
        return None
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    environ["wsgi.input"] = io.BytesIO(body)
    request = _plain_insert_batch(body)
    if request is None:
        return None
    url_region = BaseResponse.region_regex.search(f"http://{environ.get('HTTP_HOST', '')}/")
    agent_region = BaseResponse.region_from_useragent_regex.search(environ.get("HTTP_USER_AGENT", ""))
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if url_region:
        region = url_region.group(1)
    elif agent_region:
        region = agent_region.group(1)
    elif "AWS4" in authorization:
        region = authorization.split(",")[0].split("/")[2]
    else:
        region = BaseResponse.default_region
    key = BaseResponse.access_key_regex.search(authorization)
    access_key = key.group(1) if key else "AKIAEXAMPLE"
    account = (
        os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(access_key)
    )
    mark_account_as_visited(account_id=account, access_key=access_key, service="dynamodb", region=region)
    with _dynamodb_lock:
        responses = _batch_insert(dynamodb_backends[account][region], request["Statements"])
    payload = json.dumps({"Responses": responses}).encode()
    return payload, [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("server", "amazon.com"),
        ("x-amzn-requestid", str(uuid.uuid4())),
        ("x-amz-crc32", str(zlib.crc32(payload) & 0xFFFFFFFF)),
        ("Content-Length", str(len(payload))),
    ]


def _dispatch_quickly(self, environ, start_response):
    answer = _answer_insert_batch(environ)
    if answer is None:
        return _dispatch_request(self, environ, start_response)
    payload, headers = answer
    start_response("200 OK", headers)
    return [payload]


DomainDispatcherApplication.__call__ = _dispatch_quickly

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


class _KeepAliveHandler(werkzeug.serving.WSGIRequestHandler):
    """werkzeug's request handler, keeping the connection open after a POST with a Content-Length.

    werkzeug closes every connection after one response (it cannot tell where a request body it did not read
    ends), so each AWS call cost moto a TCP accept, a new thread and a connection close, about as much as
    moto's own work on a small call. The AWS JSON and query APIs (DynamoDB, EventBridge, SQS, Secrets Manager)
    POST a body of known length: that body is read in full before the application sees it, so the next
    request starts where it ends, and the response is sent with its length. Every other request (S3, GET, HEAD,
    chunked or 100-continue bodies, HTTP/1.0, `Connection: close`) goes through werkzeug as before.
    """

    def run_wsgi(self):
        length = self.headers.get("Content-Length", "")
        if (
            self.command != "POST"
            or self.request_version != "HTTP/1.1"
            or self.close_connection
            or not length.isdigit()
            or "Transfer-Encoding" in self.headers
            or "Expect" in self.headers
        ):
            return super().run_wsgi()
        body = self.rfile.read(int(length))
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        started = []
        chunks = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]
            return chunks.append

        def respond(app):
            result = app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()

        try:
            respond(self.server.app)
        except Exception as error:  # noqa: BLE001  (as werkzeug does: log it and answer 500)
            from werkzeug.debug.tbtools import DebugTraceback
            from werkzeug.exceptions import InternalServerError

            self.server.log("error", f"Error on request:\n{DebugTraceback(error).render_traceback_text()}")
            started.clear()
            chunks.clear()
            respond(InternalServerError())
        status, headers = started
        payload = b"".join(chunks)
        code, _, message = status.partition(" ")
        self.send_response(int(code), message)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        # Head and body in one write: as two, the body waits for the client's delayed ACK of the head (Nagle),
        # 40 ms a response on Linux.
        self._headers_buffer.extend((b"\r\n", payload))
        self.flush_headers()


# run_simple (moto.server.main) builds its server with this module's handler class.
werkzeug.serving.WSGIRequestHandler = _KeepAliveHandler


def _exit_with_parent():
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _profile_requests(prefix):
    """With MOTO_LAUNCHER_PROFILE=<prefix>: per operation counts, wall and thread CPU time, written at exit to
    <prefix>.json; with MOTO_LAUNCHER_CPROFILE=1 also a cProfile (in CPU time) of every connection, HTTP
    parsing included, in <prefix>.pstats (which slows moto a few times over). To find where moto's time goes."""
    import atexit
    import cProfile
    import pstats

    from werkzeug.serving import WSGIRequestHandler

    lock = threading.Lock()
    totals = {}
    trace = []
    merged = []
    call = DomainDispatcherApplication.__call__
    handle = WSGIRequestHandler.handle

    def counted(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET") or environ.get("PATH_INFO", "")
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return list(call(self, environ, start_response))
        finally:
            trace.append((target, wall, time.perf_counter()))
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            with lock:
                entry = totals.setdefault(target, [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] += wall
                entry[2] += cpu

    def profiled(self):
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            return handle(self)
        finally:
            profile.disable()
            with lock:
                if merged:
                    merged[0].add(profile)
                else:
                    merged.append(pstats.Stats(profile))

    def dump():
        with lock:
            with open(prefix + ".json", "w") as out:
                json.dump({name: {"count": n, "wall": w, "cpu": c} for name, (n, w, c) in totals.items()}, out)
            with open(prefix + ".trace.json", "w") as out:
                json.dump(trace, out)
            if merged:
                merged[0].dump_stats(prefix + ".pstats")

    DomainDispatcherApplication.__call__ = counted
    if os.environ.get("MOTO_LAUNCHER_CPROFILE") == "1":
        WSGIRequestHandler.handle = profiled
    atexit.register(dump)


if os.environ.get("MOTO_LAUNCHER_PROFILE"):
    _profile_requests(os.environ["MOTO_LAUNCHER_PROFILE"])
_exit_with_parent()
sys.exit(main())
