"""The vote app: a form with two options; each vote is appended to a Redis list for the worker.

A vote is pushed as ``{"voter_id": "...", "vote": "a", "ts": ...}`` by a small Lua script that
runs atomically inside Redis: it stamps the vote with max(Redis TIME in microseconds, previous
stamp + 1) and appends it. The stamps strictly increase in list order, whichever vote replica
pushed them, and let the worker keep the latest vote per voter even when it processes a vote twice.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from flask import Flask, Response, make_response, render_template, request
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = logging.getLogger("vote")

PUSH_VOTE = """
if redis.replicate_commands then redis.replicate_commands() end
local now = redis.call('TIME')
local ts = tonumber(now[1]) * 1000000 + tonumber(now[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if ts <= last then ts = last + 1 end
local stamp = string.format('%d', ts)
redis.call('SET', KEYS[2], stamp)
return redis.call('RPUSH', KEYS[1],
  '{"voter_id":' .. cjson.encode(ARGV[1]) .. ',"vote":' .. cjson.encode(ARGV[2]) .. ',"ts":' .. stamp .. '}')
"""

VOTER_COOKIE = "voter_id"
CHOICE_COOKIE = "vote"
COOKIE_MAX_AGE = 365 * 24 * 3600
VOTER_ID = re.compile(r"^[0-9a-f]{8,64}$")
CHOICES = ("a", "b")


@dataclass(frozen=True)
class Settings:
    option_a: str = "Cats"
    option_b: str = "Dogs"
    redis_host: str = "redis"
    redis_port: int = 6379
    votes_list: str = "votes"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def text(name: str, default: str) -> str:
            return env.get(name) or default

        port = text("REDIS_PORT", "6379")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"REDIS_PORT must be a port number, got {port!r}")
        return cls(
            option_a=text("OPTION_A", cls.option_a),
            option_b=text("OPTION_B", cls.option_b),
            redis_host=text("REDIS_HOST", cls.redis_host),
            redis_port=int(port),
            votes_list=text("VOTES_LIST", cls.votes_list),
        )


def redis_client(settings: Settings) -> redis.Redis:
    """A pooled client with short timeouts: a dead Redis costs a request about a second, and every
    request tries again, so the app recovers by itself when Redis is back."""
    return redis.Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        socket_connect_timeout=0.5,
        socket_timeout=1.0,
        socket_keepalive=True,
        health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
        decode_responses=True,
    )


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    client = redis_client(settings)
    push_vote = client.register_script(PUSH_VOTE)
    options = {"a": settings.option_a, "b": settings.option_b}
    hostname = socket.gethostname()
    clock_key = f"{settings.votes_list}:clock"

    def page(choice: str | None, voter_id: str, status: int = 200, error: str | None = None) -> Response:
        body = render_template("index.html", options=options, choice=choice, hostname=hostname, error=error)
        response = make_response(body, status)
        response.set_cookie(VOTER_COOKIE, voter_id, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax")
        if choice is not None:
            response.set_cookie(CHOICE_COOKIE, choice, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax")
        response.headers["Cache-Control"] = "no-store"
        return response

    def current_voter() -> str:
        voter_id = request.cookies.get(VOTER_COOKIE, "")
        return voter_id if VOTER_ID.match(voter_id) else secrets.token_hex(8)

    @app.get("/")
    def show() -> Response:
        choice = request.cookies.get(CHOICE_COOKIE)
        return page(choice if choice in CHOICES else None, current_voter())

    @app.post("/")
    def vote() -> Response:
        voter_id = current_voter()
        choice = request.form.get("vote", "")
        if choice not in CHOICES:
            return page(None, voter_id, 400, "Please pick one of the two options.")
        push_vote(keys=[settings.votes_list, clock_key], args=[voter_id, choice])
        return page(choice, voter_id)

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, bool], int]:
        try:
            client.ping()
        except redis.RedisError:
            return {"ok": False, "redis": False}, 503
        return {"ok": True, "redis": True}, 200

    @app.errorhandler(redis.RedisError)
    def redis_unavailable(error: redis.RedisError) -> Response:
        log.warning("redis unavailable: %s", error)
        response = make_response(render_template("unavailable.html", hostname=hostname), 503)
        response.headers["Retry-After"] = "5"
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
