from __future__ import annotations

import re

import pytest
import redis

from flask.testing import FlaskClient

from app import Settings, create_app
from conftest import RedisServer, pushed


def cookie(client: FlaskClient, name: str) -> str | None:
    found = client.get_cookie(name)
    return None if found is None else found.value


def test_form_sets_a_voter_id_and_shows_the_options(client: FlaskClient) -> None:
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Tea vs Coffee!</h1>" in page
    assert 'value="a"' in page and 'value="b"' in page
    assert "You have not voted yet." in page
    assert re.fullmatch(r"[0-9a-f]{16}", cookie(client, "voter_id") or "")


def test_a_vote_is_pushed_as_json_with_the_voter_id(client: FlaskClient, store: redis.Redis, settings: Settings) -> None:
    client.get("/")
    voter_id = cookie(client, "voter_id")
    response = client.post("/", data={"vote": "a"})
    assert response.status_code == 200
    assert "Your vote: Tea" in response.get_data(as_text=True)
    votes = pushed(store, settings.votes_list)
    assert [{k: v for k, v in vote.items() if k != "ts"} for vote in votes] == [{"voter_id": voter_id, "vote": "a"}]
    assert isinstance(votes[0]["ts"], int) and votes[0]["ts"] > 1_600_000_000_000_000
    # The choice is remembered for the next visit.
    assert "Your vote: Tea" in client.get("/").get_data(as_text=True)


def test_a_voter_keeps_its_id_and_may_change_its_vote(client: FlaskClient, store: redis.Redis, settings: Settings) -> None:
    client.set_cookie("voter_id", "abcdef0123456789")
    assert client.post("/", data={"vote": "a"}).status_code == 200
    response = client.post("/", data={"vote": "b"})
    assert "Your vote: Coffee" in response.get_data(as_text=True)
    assert cookie(client, "voter_id") == "abcdef0123456789"
    votes = pushed(store, settings.votes_list)
    assert [(v["voter_id"], v["vote"]) for v in votes] == [("abcdef0123456789", "a"), ("abcdef0123456789", "b")]


def test_a_malformed_voter_id_is_replaced(client: FlaskClient, store: redis.Redis, settings: Settings) -> None:
    client.set_cookie("voter_id", "not hex; " + "x" * 300)
    client.post("/", data={"vote": "b"})
    voter_id = cookie(client, "voter_id") or ""
    assert re.fullmatch(r"[0-9a-f]{16}", voter_id)
    assert [(v["voter_id"], v["vote"]) for v in pushed(store, settings.votes_list)] == [(voter_id, "b")]


@pytest.mark.parametrize("form", [{"vote": "c"}, {"vote": ""}, {}])
def test_an_unknown_option_is_refused(client: FlaskClient, store: redis.Redis, settings: Settings, form: dict[str, str]) -> None:
    response = client.post("/", data=form)
    assert response.status_code == 400
    assert "Please pick one of the two options." in response.get_data(as_text=True)
    assert store.llen(settings.votes_list) == 0


def test_stamps_strictly_increase_in_list_order(client: FlaskClient, store: redis.Redis, settings: Settings) -> None:
    # A stamp ahead of the clock (another replica, a clock step back) is still exceeded.
    ahead = 9_000_000_000_000_000
    store.set(f"{settings.votes_list}:clock", ahead)
    for i in range(30):
        client.post("/", data={"vote": "ab"[i % 2]})
    stamps = [v["ts"] for v in pushed(store, settings.votes_list)]
    assert stamps == list(range(ahead + 1, ahead + 31))


def test_healthz_answers_200_while_redis_answers(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "redis": True}


def test_settings_come_from_the_environment() -> None:
    assert Settings.from_env({}) == Settings("Cats", "Dogs", "redis", 6379, "votes")
    env = {"OPTION_A": "Tea", "OPTION_B": "Coffee", "REDIS_HOST": "cache", "REDIS_PORT": "6380", "VOTES_LIST": "v"}
    assert Settings.from_env(env) == Settings("Tea", "Coffee", "cache", 6380, "v")
    with pytest.raises(ValueError, match="REDIS_PORT"):
        Settings.from_env({"REDIS_PORT": "redis:6379"})


def test_redis_outage_gives_a_clear_503_and_recovers(private_redis: RedisServer, votes_list: str) -> None:
    app = create_app(Settings(redis_host="127.0.0.1", redis_port=private_redis.port, votes_list=votes_list))
    client = app.test_client()
    store = redis.Redis(host="127.0.0.1", port=private_redis.port, decode_responses=True)
    assert client.post("/", data={"vote": "a"}).status_code == 200

    private_redis.stop()
    response = client.post("/", data={"vote": "b"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Votes cannot be recorded right now" in page
    assert "Traceback" not in page and "ConnectionError" not in page
    assert response.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 503
    assert client.get("/").status_code == 200  # the form itself does not need Redis

    private_redis.start()
    assert client.get("/healthz").status_code == 200
    assert client.post("/", data={"vote": "b"}).status_code == 200
    assert [v["vote"] for v in pushed(store, votes_list)] == ["a", "b"]
    store.close()
