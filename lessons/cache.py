"""A Redis cache that is a cache, not a dependency.

Everything that must survive lives in Postgres (sessions, lockouts, students' work); Redis holds
the lesson content cache and the rate-limit counters. When Redis cannot be reached, a call logs
one warning, answers as a miss (``get`` gives the default, ``add`` False, ``incr`` None) and every
cache call of this process is skipped for ``retry_after`` seconds (an option, default 5), so an
outage costs one connection attempt per few seconds instead of one per call. Pages then read the
database, and the rate limits are not enforced (``RATELIMIT_FAIL_OPEN``); ``/healthz`` reports it.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("retry_after", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0

    def _guard(self, default, method, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return default
        try:
            return method(*args, **kwargs)
        except UNREACHABLE as error:
            self._down_until = time.monotonic() + self.retry_after
            logger.warning("Cache unreachable (%s); skipping the cache for %ss.", error, self.retry_after)
            return default

    def is_available(self):
        """One PING, ignoring the skip window: for /healthz."""
        try:
            return bool(self._cache.get_client().ping())
        except UNREACHABLE:
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guard({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        return self._guard(None, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard(None, super().delete_many, keys, version)

    def clear(self):
        return self._guard(False, super().clear)
