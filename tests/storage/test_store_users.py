"""Users, credentials, sessions and usage counters."""

from __future__ import annotations

import asyncio
import uuid

from store_fakes import FakeClock, Reopen

from storage import Credentials, SessionRecord, Store, Usage, UserRecord


async def test_upsert_user_creates_once(store: Store, clock: FakeClock) -> None:
    first = await store.upsert_user("telegram", "42")
    clock.advance(10)
    again = await store.upsert_user("telegram", "42")
    assert again == first == UserRecord(first.id, "telegram", "42", "en", clock.now - 10)
    other = await store.upsert_user("discord", "42")
    assert other.id != first.id
    assert await store.get_user(first.id) == first
    assert await store.get_user(12345) is None


async def test_concurrent_upserts_make_one_user(store: Store) -> None:
    users = await asyncio.gather(*(store.upsert_user("telegram", "7") for _ in range(20)))
    assert len({u.id for u in users}) == 1


async def test_set_language(store: Store, user: UserRecord) -> None:
    await store.set_language(user.id, "zh")
    stored = await store.get_user(user.id)
    assert stored is not None and stored.language == "zh"


async def test_client_id_is_created_once_and_persists(
    store: Store, user: UserRecord, reopen: Reopen
) -> None:
    assert await store.credentials(user.id) is None
    client_id = await store.client_id_for(user.id)
    assert uuid.UUID(client_id).version == 4
    assert await store.client_id_for(user.id) == client_id
    await store.close()
    async with await reopen() as reopened:
        assert await reopened.client_id_for(user.id) == client_id


async def test_tokens_keep_the_client_id(store: Store, user: UserRecord) -> None:
    client_id = await store.client_id_for(user.id)
    await store.save_anonymous_token(user.id, "anon-tok", "anon-user", 2_000_000.0)
    await store.set_login_token(user.id, "login-tok")
    assert await store.credentials(user.id) == Credentials(
        user.id, client_id, "anon-tok", "anon-user", 2_000_000.0, "login-tok"
    )
    await store.set_login_token(user.id, None)
    await store.save_anonymous_token(user.id, None, None, None)
    assert await store.credentials(user.id) == Credentials(
        user.id, client_id, None, None, None, None
    )


async def test_token_before_client_id_creates_one(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    await store.save_anonymous_token(user.id, "t", "u", 1.0)
    creds = await store.credentials(user.id)
    assert creds is not None and creds.anon_token == "t"
    assert await store.client_id_for(user.id) == creds.client_id
    await store.set_login_token(other_user.id, "login")
    other = await store.credentials(other_user.id)
    assert other is not None and other.login_token == "login" and other.anon_token is None
    assert other.client_id != creds.client_id


async def test_sessions(store: Store, user: UserRecord, clock: FakeClock) -> None:
    assert await store.get_session(user.id, "anon") is None
    session_id = "7301234567890123456"  # 19 digits: must come back as the same string
    await store.save_session(user.id, "anon", session_id, None)
    created = clock.now
    assert await store.get_session(user.id, "anon") == SessionRecord(
        user.id, "anon", session_id, None, created
    )
    assert await store.get_session(user.id, "login:abc") is None

    clock.advance(5)
    await store.save_session(user.id, "anon", session_id, "task-1")
    assert await store.get_session(user.id, "anon") == SessionRecord(
        user.id, "anon", session_id, "task-1", created
    )

    clock.advance(5)
    await store.save_session(user.id, "login:abc", "0000000000000000001", None)
    assert await store.get_session(user.id, "anon") is None
    replaced = await store.get_session(user.id, "login:abc")
    assert replaced == SessionRecord(user.id, "login:abc", "0000000000000000001", None, clock.now)

    await store.drop_session(user.id)
    assert await store.get_session(user.id, "login:abc") is None
    await store.drop_session(user.id)


async def test_usage_counters(store: Store, user: UserRecord, other_user: UserRecord) -> None:
    assert await store.usage(user.id) == Usage(user.id, 0, 0, 0, 0)
    await store.bump_usage(user.id, turns=1)
    await store.bump_usage(user.id, turns=2, images=3, exports=1, uploads=4)
    await asyncio.gather(*(store.bump_usage(user.id, turns=1) for _ in range(10)))
    assert await store.usage(user.id) == Usage(user.id, 13, 3, 1, 4)
    assert await store.usage(other_user.id) == Usage(other_user.id, 0, 0, 0, 0)


async def test_reads_see_every_commit_even_among_concurrent_reads(store) -> None:
    """A read right after a write sees it, however many reads run beside it."""
    user = await store.upsert_user("console", "fresh-reads")

    async def write_then_read(n: int) -> str | None:
        await store.save_anonymous_token(user.id, f"tok-{n}", "anon", 1e12)
        creds = await store.credentials(user.id)
        return creds.anon_token if creds else None

    async def reader() -> None:
        for _ in range(20):
            await store.credentials(user.id)

    for n in range(30):
        results = await asyncio.gather(write_then_read(n), *(reader() for _ in range(5)))
        assert results[0] == f"tok-{n}"


async def test_a_new_user_starts_in_the_platform_language(store: Store) -> None:
    created = await store.upsert_user("telegram", "zh-user", "zh")
    assert created.language == "zh"
    again = await store.upsert_user("telegram", "zh-user", "en")  # only the first time counts
    assert again.language == "zh"


async def test_images_are_remembered_once_per_session(store: Store, user: UserRecord) -> None:
    first = await store.remember_image(user.id, "s1", "http://x/1.png", "http://x/1.png?a", "a fox")
    assert first is not None
    assert (
        await store.remember_image(user.id, "s1", "http://x/1.png", "http://x/1.png?b", "") is None
    )
    other = await store.remember_image(user.id, "s2", "http://x/1.png", "http://x/1.png", "a fox")
    assert other is not None and other != first  # another session may post the same file
    image = await store.get_image(first)
    assert image is not None and (image.prompt, image.posted) == ("a fox", False)
    assert await store.mark_image_posted(first)
    marked = await store.get_image(first)
    assert marked is not None and marked.posted
    assert await store.get_image(10_000) is None


async def test_latest_images_are_the_posted_ones_of_the_current_session(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    """What inline mode offers: the user's posted images of their current project, newest
    first; none of another project or another user, none still being posted."""
    assert await store.latest_images(user.id, 5) == []  # no session yet
    await store.save_session(user.id, "acct", "s1", None)
    ids = []
    for n in range(4):
        image_id = await store.remember_image(user.id, "s1", f"k{n}", f"http://x/{n}.png", f"p{n}")
        assert image_id is not None
        ids.append(image_id)
    for image_id in ids[:3]:
        await store.mark_image_posted(image_id)  # the fourth is still being posted
    await store.remember_image(user.id, "s0", "old", "http://x/old.png", "old")  # past project
    await store.save_session(other_user.id, "acct", "s9", None)
    theirs = await store.remember_image(other_user.id, "s9", "k0", "http://x/t.png", "theirs")
    assert theirs is not None and await store.mark_image_posted(theirs)
    latest = await store.latest_images(user.id, 2)
    assert [(image.id, image.prompt) for image in latest] == [(ids[2], "p2"), (ids[1], "p1")]
    await store.save_session(user.id, "acct", "s2", None)  # a new project: nothing to offer
    assert await store.latest_images(user.id, 5) == []
