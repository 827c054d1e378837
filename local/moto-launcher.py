"""Runs moto_server with one fix for speed: a cache in front of jsonpath_ng's parser.

moto builds a new jsonpath parser (ply tables) for every path of every rule target's input template, for
every event: about 45 ms each, eight per target, which holds EventBridge-to-SQS delivery to a few events a
second. The parsed expressions are pure values, so caching them by path changes nothing but the speed.
Arguments are moto_server's own (-H, -p, ...).
"""
import functools
import sys

import jsonpath_ng.ext

jsonpath_ng.ext.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parse)

from moto.server import main  # noqa: E402  (after the patch, on purpose)

sys.exit(main())
