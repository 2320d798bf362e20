"""Timeline summaries (in both languages) and state diffs."""

from __future__ import annotations

from bot.core.timeline import describe_changes, summary
from bot.nemo.draft import changes, has_content, media_key, tracks
from bot.nemo.models import GeneratedMedia, SessionState

DRAFT = {
    "t": [
        {
            "tt": 0,
            "m": {"name": "Video"},
            "sg": [
                {
                    "id": "s1",
                    "st": 0,
                    "d": 10000,
                    "m": {"name": "city timelapse", "src": "/mnt/userdata/1/a.png"},
                },
            ],
        },
        {
            "tt": 1,
            "m": {"name": "BGM"},
            "sg": [
                {"id": "s2", "st": 0, "d": 10000, "m": {"name": "Lo-fi", "volume": 0.35}},
            ],
        },
        {
            "tt": 7,
            "m": {"name": "Title"},
            "sg": [
                {"id": "s3", "st": 0, "d": 3000, "m": {"text": "Urban Dreams"}},
            ],
        },
    ],
    "d": 10000,
}


def test_summary_matches_the_skill_example() -> None:
    assert summary(DRAFT) == (
        "Timeline (3 tracks): 1. Video: city timelapse (0-10s) "
        '2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)'
    )


def test_summary_in_chinese_names_every_generic_track_in_chinese() -> None:
    assert summary(DRAFT, "zh") == (
        "时间线（3 条轨道）：1. 视频：city timelapse（0-10 秒） "
        "2. 背景音乐：Lo-fi（0-10 秒，35%） 3. 标题：“Urban Dreams”（0-3 秒）"
    )


def test_a_track_with_its_own_name_keeps_it() -> None:
    draft = {"t": [{"tt": 1, "m": {"name": "Rain sounds"}, "sg": [{"st": 0, "d": 1000}]}]}
    assert summary(draft, "zh") == "时间线（1 条轨道）：1. Rain sounds：clip 1（0-1 秒）"


def test_empty_and_malformed_drafts() -> None:
    assert summary({}) is None
    assert summary({"t": "nonsense"}) is None
    assert not has_content({"t": [{"tt": 0, "sg": []}]})
    assert has_content(DRAFT)
    assert tracks({"t": [None, {"tt": "x", "sg": [{"d": "7"}]}]})[0].segments[0].name == "clip 1"


def test_server_paths_show_only_the_file_name() -> None:
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 2500, "m": {"src": "/mnt/userdata/9/b.png"}}]}]}
    assert summary(draft) == "Timeline (1 track): 1. Video: b.png (0-2.5s)"


def test_changes_lists_new_segments_and_media() -> None:
    before = SessionState(
        draft={"t": DRAFT["t"][:1]},
        generated_media=(GeneratedMedia("m1", "image", "http://x/1.png"),),
    )
    after = SessionState(
        draft=DRAFT,
        generated_media=(
            GeneratedMedia("m1", "image", "http://x/1.png"),
            GeneratedMedia("m2", "image", "http://x/2.png"),
        ),
    )
    diff = changes(before, after)
    assert [(track.label, seg.name) for track, seg in diff.new_segments] == [
        ("BGM", "Lo-fi"),
        ("Title", "Urban Dreams"),
    ]
    assert [m.id for m in diff.new_media] == ["m2"]
    assert not diff.removed_segments
    assert not changes(after, after)
    assert describe_changes(diff, "en") == (
        'Done. added BGM "Lo-fi"; added Title "Urban Dreams"; 1 new image.'
    )
    assert describe_changes(diff, "zh") == (
        "完成。添加了背景音乐“Lo-fi”；添加了标题“Urban Dreams”；1 张新图片。"
    )


def test_media_are_the_same_whatever_their_signature() -> None:
    """A re-signed URL is the same image: never posted twice."""
    before = SessionState(generated_media=(GeneratedMedia("a", "image", "http://x/1.png?sig=1"),))
    after = SessionState(generated_media=(GeneratedMedia("b", "image", "http://x/1.png?sig=2"),))
    assert not changes(before, after).new_media
    assert media_key("http://x/1.png?sig=2#f") == "http://x/1.png"
