"""The Redis call-state store against a real Redis: locking, sealing, expiry."""

from __future__ import annotations

import threading
import time

import pytest

from ivr.engine.callstate import CallStore, StoreUnavailable, fernet_from
from ivr.engine.kvstores import RedisKeyValue

pytestmark = pytest.mark.integration
CARD = "4242424242424242"


def make_store(client, ttl: int = 60, secret_ttl: int = 60, lock_seconds: float = 2) -> CallStore:
    kv = RedisKeyValue(client, ttl, secret_ttl, lock_seconds)
    return CallStore(kv, fernet_from("token", None), secret_ttl)


def test_state_and_sealed_secrets_round_trip(redis_client) -> None:
    store = make_store(redis_client)
    with store.open("CA1") as call:
        assert call.state is None
        call.save({"turn": 1}, {"card_number": CARD})
    assert CARD.encode() not in b"".join(redis_client.get(k) or b"" for k in redis_client.keys())
    assert redis_client.ttl("secret:CA1") <= 60 and redis_client.ttl("call:CA1") <= 60
    with store.open("CA1") as call:
        assert call.state == {"turn": 1, "sealed": True}
        assert call.unseal() == {"card_number": CARD}
        call.save({"turn": 2}, {})
    assert redis_client.get("secret:CA1") is None  # erased once the flow let go of it
    assert redis_client.get("lock:CA1") is None


def test_a_second_webhook_waits_for_the_first(redis_client) -> None:
    store = make_store(redis_client)
    order: list[str] = []
    trying = threading.Event()
    real_acquire = store.kv.acquire

    def announced_acquire(call_sid):
        trying.set()
        return real_acquire(call_sid)

    store.kv.acquire = announced_acquire

    def second() -> None:
        with store.open("CA2") as call:
            order.append(f"second saw turn {call.state['turn']}")
            call.save({"turn": 2}, {})

    with store.open("CA2") as call:
        trying.clear()
        thread = threading.Thread(target=second)
        thread.start()
        assert trying.wait(5)  # the second is asking for the lock the first holds
        order.append("first saves")
        call.save({"turn": 1}, {})
    thread.join(5)
    assert order == ["first saves", "second saw turn 1"]


def test_a_stuck_lock_is_reported_not_waited_on_forever(redis_client) -> None:
    store = make_store(redis_client, lock_seconds=0.3)
    redis_client.set("lock:CA3", "someone-else", px=10_000)
    with pytest.raises(StoreUnavailable):
        with store.open("CA3"):
            pass


def test_an_exception_releases_the_lock_and_keeps_the_old_state(redis_client) -> None:
    store = make_store(redis_client)
    with store.open("CA4") as call:
        call.save({"turn": 1}, {})
    with pytest.raises(RuntimeError), store.open("CA4") as call:
        raise RuntimeError("flow bug")
    assert redis_client.get("lock:CA4") is None
    assert store.load("CA4") == {"turn": 1, "sealed": False}


def test_expired_secrets_read_as_nothing(redis_client) -> None:
    store = make_store(redis_client, secret_ttl=1)
    with store.open("CA5") as call:
        call.save({"turn": 1}, {"card_number": CARD})
    time.sleep(1.2)
    with store.open("CA5") as call:
        assert call.unseal() == {}


def test_an_ended_call_keeps_a_tombstone_that_no_webhook_writes_over(redis_client) -> None:
    store = make_store(redis_client)
    with store.open("CA6") as call:
        call.save({"turn": 1}, {})
    with store.open("CA6") as call:
        store.forget("CA6")  # the status callback, while this webhook still holds the lock
        assert call.save({"turn": 2}, {"card_number": CARD}) is False
    assert redis_client.get("secret:CA6") is None
    assert redis_client.get("lock:CA6") is None
    with store.open("CA6") as late:
        assert late.ended


def test_the_store_keeps_working_when_redis_forgets_its_scripts(redis_client) -> None:
    """A restarted Redis has no scripts: the store gives them again and the turn goes on."""
    store = make_store(redis_client)
    with store.open("CA7") as call:
        call.save({"turn": 1}, {})
    redis_client.script_flush()
    with store.open("CA7") as call:
        assert call.state == {"turn": 1, "sealed": False}
        call.save({"turn": 2}, {})
    assert store.load("CA7") == {"turn": 2, "sealed": False}


def test_a_connection_cut_off_is_reported_once_then_replaced(redis_client) -> None:
    """Redis drops the store's connection: that one command is a StoreUnavailable (the turn is
    waited out as busy), and the next command runs on a new connection."""
    store = make_store(redis_client)
    with store.open("CA8") as call:
        call.save({"turn": 1}, {})
    name = f"kv-{time.monotonic_ns()}"
    connection = store.kv._scripts._idle[-1]  # the one the save gave back
    connection.send_command("CLIENT", "SETNAME", name)
    assert connection.read_response() in (b"OK", "OK")
    killed = [c for c in redis_client.client_list() if c.get("name") == name]
    assert len(killed) == 1
    redis_client.execute_command("CLIENT", "KILL", "ID", killed[0]["id"])
    with pytest.raises(StoreUnavailable):
        store.load("CA8")
    assert store.load("CA8") == {"turn": 1, "sealed": False}


def test_turns_at_once_share_a_few_connections_and_close_them(redis_client) -> None:
    """Turns take an idle connection and give it back: eight threads at once make at most
    eight, ended threads leave none open, and closing the store closes them."""
    kv = RedisKeyValue(redis_client, 60, 60)
    store = CallStore(kv, fernet_from("token", None), 60)
    start = threading.Barrier(8)

    def turns(index: int) -> None:
        start.wait()
        for turn in range(20):
            with store.open(f"CA-share-{index}") as call:
                call.save({"turn": turn}, {})

    threads = [threading.Thread(target=turns, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= len(kv._scripts._idle) <= 8
    assert all(store.load(f"CA-share-{i}") == {"turn": 19, "sealed": False} for i in range(8))
    ids = set()
    for connection in kv._scripts._idle:
        connection.send_command("CLIENT", "ID")
        ids.add(str(connection.read_response()))
    assert len(ids) == len(kv._scripts._idle)

    def open_ids() -> set[str]:
        return {str(client["id"]) for client in redis_client.client_list()} & ids

    assert open_ids() == ids
    kv.close()
    assert kv._scripts._idle == []
    time.sleep(0.05)
    assert open_ids() == set()
