"""The Redis cache backend (settings.CACHES when REDIS_URL is set): Django's, keeping one
`redis.Redis` client per connection pool (Django keeps a cache backend, and so a pool, per
thread).

Django's RedisCacheClient builds a new `redis.Redis` for every operation, and each one fills
its table of about two hundred response callbacks: a tenth of a millisecond per cache read,
several reads per page. A client is safe to share between threads (each command takes a
connection from the pool), and a pool is never shared across processes (redis-py opens new
connections in a forked child), so one client per pool is enough.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
