"""Fixtures: a real Redis server. The suite uses the one whose port is in TEST_REDIS_PORT (started
by scripts/test-apps.sh) or starts its own; tests that stop Redis always get a private server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient

APP_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = APP_DIR.parents[1]
REDIS_SH = REPO_ROOT / "scripts" / "services" / "redis.sh"

sys.path.insert(0, str(APP_DIR))

from app import Settings, create_app  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server in a temp dir, which a test may stop and start again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()

    def start(self) -> None:
        subprocess.run(["bash", str(REDIS_SH), "start", str(self.directory), str(self.port)], check=True)

    def stop(self) -> None:
        subprocess.run(["bash", str(REDIS_SH), "stop", str(self.directory)], check=True)


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int]:
    port = os.environ.get("TEST_REDIS_PORT")
    if port:
        yield int(port)
        return
    with tempfile.TemporaryDirectory() as directory:
        server = RedisServer(Path(directory))
        server.start()
        try:
            yield server.port
        finally:
            server.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def votes_list() -> str:
    """A list name of its own for each test, so tests never see each other's votes."""
    return f"test-votes-{uuid.uuid4().hex}"


@pytest.fixture
def settings(redis_port: int, votes_list: str) -> Settings:
    return Settings(option_a="Tea", option_b="Coffee", redis_host="127.0.0.1", redis_port=redis_port, votes_list=votes_list)


@pytest.fixture
def store(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, decode_responses=True)
    yield client
    client.delete(settings.votes_list, f"{settings.votes_list}:clock")
    client.close()


@pytest.fixture
def client(settings: Settings) -> FlaskClient:
    app = create_app(settings)
    app.testing = True
    return app.test_client()


def pushed(store: redis.Redis, votes_list: str) -> list[dict[str, object]]:
    return [json.loads(entry) for entry in store.lrange(votes_list, 0, -1)]
