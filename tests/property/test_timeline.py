"""Properties of the draft reader (`bot.nemo.draft`) and its wording (`bot.core.timeline`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.texts import t
from bot.core.timeline import describe_changes, summary
from bot.nemo.draft import changes, has_content, media_key, tracks
from bot.nemo.errors import NemoProtocolError
from bot.nemo.models import GeneratedMedia, SessionState
from tests.property.strategies import json_values, safe_text

LANGS = ("en", "zh")
HUGE = 10**300  # large, but within what a float division or float() can take

# -- strategies ----------------------------------------------------------------------------
# Numbers here stay finite and below ~1e300; what lies beyond has tests of its own below.

json_value = json_values(safe_numbers=True)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` about four times in five, else `bad`."""
    return st.integers(0, 4).flatmap(lambda n: bad if n == 0 else good)


junk = st.one_of(
    st.none(),
    st.booleans(),
    safe_text(),
    st.lists(st.one_of(st.integers(), safe_text()), max_size=3),
    st.lists(st.lists(st.integers(), max_size=2), max_size=2),  # nested lists
    st.dictionaries(safe_text(6), st.one_of(st.integers(), safe_text()), max_size=2),
)
int_ish = st.one_of(
    st.integers(0, 120_000),
    st.integers(-(10**6), -1),
    st.integers(-HUGE, HUGE),
    st.floats(-1e300, 1e300, allow_nan=False),
    st.integers(-1000, 10**6).map(str),  # a number as a string
    junk,
)
track_types = mostly(st.sampled_from([0, 1, 7, "0", "1", "7", 1.0]), int_ish)
volumes = st.one_of(
    st.floats(0, 2),
    st.integers(0, 100),
    st.floats(-1e300, 1e300, allow_nan=False),
    st.floats(0, 2).map(str),
    junk,
)
names = st.one_of(st.text(max_size=20), st.sampled_from(["", "  ", "BGM", "main", "Title"]), junk)
paths = st.one_of(
    st.sampled_from(
        [
            "/mnt/userdata/u1/cat.png",
            "https://cdn.example/a/b.mp3?sig=1",
            "https://cdn.example/",
            "",
            "?",
        ]
    ),
    st.text(max_size=30),
    junk,
)
segment_meta = st.fixed_dictionaries(
    {},
    optional={
        "text": names,
        "name": names,
        "title": names,
        "prompt": names,
        "src": paths,
        "url": paths,
        "path": paths,
        "volume": volumes,
    },
)
segment = mostly(
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(st.text(max_size=6), st.integers(0, 50), st.none()),
            "st": int_ish,
            "d": int_ish,
            "m": st.one_of(segment_meta, junk),
            "volume": volumes,
            "name": names,
        },
    ),
    junk,
)
track = mostly(
    st.fixed_dictionaries(
        {"sg": mostly(st.lists(segment, max_size=4), junk)},
        optional={
            "tt": track_types,
            "m": mostly(st.fixed_dictionaries({}, optional={"name": names}), junk),
        },
    ),
    junk,
)
draft_shaped = st.fixed_dictionaries(
    {"t": mostly(st.lists(track, max_size=4), junk)}, optional={"v": junk}
)
drafts = mostly(draft_shaped, st.one_of(json_value, st.just({})))

media_item = st.one_of(
    st.fixed_dictionaries(
        {"url": st.one_of(paths, st.integers())},
        optional={
            "id": st.one_of(st.text(max_size=6), st.none(), st.integers()),
            "type": st.sampled_from(["image", "video", ""]),
            "prompt": st.one_of(st.text(max_size=10), junk),
            "width": junk,
        },
    ),
    json_value,
)
state_bodies = st.fixed_dictionaries(
    {},
    optional={
        "draft": drafts,
        "generated_media": st.one_of(st.lists(media_item, max_size=4), junk),
        "video_infos": st.one_of(st.lists(junk, max_size=2), junk),
    },
)
# `data` as the state call returns it: the state itself, or under "state" (maybe not a map).
state_data = st.one_of(
    state_bodies,
    st.fixed_dictionaries({"state": st.one_of(state_bodies, json_value)}),
    st.dictionaries(safe_text(8), json_value, max_size=4),
)
states = st.builds(
    SessionState,
    draft=draft_shaped,
    generated_media=st.lists(media_item, max_size=4).map(GeneratedMedia.parse_all),
)


def filled_count(draft: Any) -> int:
    """How many tracks hold at least one segment."""
    return sum(1 for track in tracks(draft) if track.segments)


def timeline_prefix(count: int, lang: str) -> str:
    """How a summary of `count` filled tracks begins."""
    if lang == "zh":
        return f"时间线（{count} 条轨道）："
    return f"Timeline ({count} {'track' if count == 1 else 'tracks'}): "


# -- tests ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(drafts, st.sampled_from(LANGS))
def test_summary_is_none_exactly_for_an_empty_timeline(draft: Any, lang: str) -> None:
    """summary never raises; it is None exactly when no track has a segment."""
    text = summary(draft, lang)
    assert (text is None) == (not has_content(draft))
    if text is not None:
        count = filled_count(draft)
        assert count >= 1
        assert text.startswith(timeline_prefix(count, lang))
        assert text.startswith("Timeline (" if lang == "en" else "时间线（")
        assert f"{count}. " in text  # the last filled track is numbered


@settings(max_examples=150, deadline=None)
@given(drafts)
def test_tracks_are_well_formed(draft: Any) -> None:
    """tracks() never raises and gives int kinds, stripped labels and int timings."""
    for track in tracks(draft):
        assert isinstance(track.kind, int)
        assert track.label == track.label.strip()
        for seg in track.segments:
            assert isinstance(seg.key, str) and seg.key
            assert isinstance(seg.name, str) and seg.name
            assert isinstance(seg.start_ms, int) and isinstance(seg.duration_ms, int)
            assert seg.volume is None or isinstance(seg.volume, float)
        if all(seg.duration_ms >= 0 for seg in track.segments):
            assert track.start_ms <= track.end_ms


@settings(max_examples=200, deadline=None)
@given(state_data)
def test_session_state_parse_raises_only_protocol_error(data: dict[str, Any]) -> None:
    """SessionState.parse returns a state, or raises NemoProtocolError for a non-map state."""
    raw_state = data.get("state", data)
    try:
        state = SessionState.parse(data, "/state")
    except NemoProtocolError:
        assert not isinstance(raw_state, Mapping)
        return
    assert isinstance(raw_state, Mapping)
    assert isinstance(state.draft, Mapping)
    assert all(isinstance(m.url, str) and m.url for m in state.generated_media)
    for lang in LANGS:
        text = summary(state.draft, lang)
        assert (text is None) == (not has_content(state.draft))


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.none(), states), states, st.sampled_from(LANGS))
def test_describe_changes_is_never_empty(
    before: SessionState | None, after: SessionState, lang: str
) -> None:
    """describe_changes of any diff is a non-empty string: "nothing changed" or "Done. …"."""
    diff = changes(before, after)
    text = describe_changes(diff, lang)
    assert isinstance(text, str) and text
    if diff:
        assert text.startswith("Done. " if lang == "en" else "完成。")
    else:
        assert text == t("no_text_nothing", lang)


@settings(max_examples=150, deadline=None)
@given(states)
def test_no_changes_between_a_state_and_itself(state: SessionState) -> None:
    """changes(x, x) is falsy, and from nothing it is truthy exactly when x has something."""
    assert not changes(state, state)
    from_nothing = changes(None, state)
    assert bool(from_nothing) == (has_content(state.draft) or bool(state.generated_media))


@settings(max_examples=300)
@given(st.text(max_size=40), st.text(max_size=20))
def test_media_key_ignores_query_and_fragment(url: str, query: str) -> None:
    """media_key drops the query and fragment, is idempotent, and is a prefix of the URL."""
    key = media_key(url)
    assert url.startswith(key)
    assert "?" not in key and "#" not in key
    assert media_key(key) == key
    if "?" not in url:
        assert media_key(f"{url}?{query}") == key


# -- regressions: bugs these properties found (now fixed) -------------------------


@settings(max_examples=20, report_multiple_bugs=False)
@example(field="st", value=float("inf"), lang="en")
@given(
    st.sampled_from(["tt", "st", "d"]),
    st.sampled_from([float("inf"), -float("inf")]),
    st.sampled_from(LANGS),
)
def test_infinite_timing_does_not_raise(field: str, value: float, lang: str) -> None:
    """A draft with an infinite track type or timing is summarised without raising."""
    seg: dict[str, Any] = {"id": "a"}
    raw_track: dict[str, Any] = {"sg": [seg]}
    (raw_track if field == "tt" else seg)[field] = value
    draft = {"t": [raw_track]}
    assert summary(draft, lang) is not None


@settings(max_examples=20, report_multiple_bugs=False)
@example(field="st", value=10**312, lang="en")
@given(st.sampled_from(["st", "d"]), st.integers(10**312, 10**400), st.sampled_from(LANGS))
def test_huge_timing_does_not_raise(field: str, value: int, lang: str) -> None:
    """A draft with an absurdly large start or duration is summarised without raising."""
    draft = {"t": [{"sg": [{"id": "a", field: value}]}]}
    assert summary(draft, lang) is not None


@settings(max_examples=30, report_multiple_bugs=False)
@example(volume="nan", lang="en")
@given(
    st.one_of(
        st.sampled_from(["nan", "inf", "-inf", "1e999", float("nan"), float("inf")]),
        st.floats(1e307, 1e308),
        st.integers(10**309, 10**400),
    ),
    st.sampled_from(LANGS),
)
def test_odd_volume_does_not_raise(volume: Any, lang: str) -> None:
    """An audio track whose volume is not a sane finite number is summarised without raising."""
    draft = {"t": [{"tt": 1, "sg": [{"id": "a", "m": {"name": "song", "volume": volume}}]}]}
    assert summary(draft, lang) is not None
