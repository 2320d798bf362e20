"""What the storyboard shows of each draft shape, before anything is drawn."""

from __future__ import annotations

from bot.core.storyboard.layout import (
    AUDIO_ROW,
    MAX_ROWS,
    OTHER_ROW,
    TEXT_ROW,
    VISUAL_ROW,
    Media,
    plan,
)
from bot.nemo import GeneratedMedia, SessionState
from tests.unit import storyboard_drafts as drafts


def test_an_empty_timeline_has_no_picture() -> None:
    assert plan(SessionState(), "en") is None
    empty_tracks = {"t": [{"tt": 0, "sg": []}, {"tt": 1}], "d": 5000}
    assert plan(SessionState(empty_tracks), "en") is None


def test_one_track_finds_each_image_through_generated_media() -> None:
    board = plan(drafts.one_track(), "en")
    assert board is not None
    assert (board.title, board.length_ms, board.more_rows) == ("Harbour", 9000, 0)
    (row,) = board.rows
    assert (row.kind, row.label) == (VISUAL_ROW, "Video")
    assert [(b.start_ms, b.duration_ms, b.label) for b in row.blocks] == [
        (0, 3000, "picture 0"),
        (3000, 3000, "picture 1"),
        (6000, 3000, "picture 2"),
    ]
    urls = [b.media.url if b.media else None for b in row.blocks]
    assert urls == [f"{drafts.CDN}/pic{n}.png?sig=abc" for n in range(3)]
    assert all(not m.url.startswith("/mnt") for m in board.media())


def test_many_tracks_in_their_order_with_their_own_words() -> None:
    board = plan(drafts.many_tracks(), "en")
    assert board is not None
    assert [row.kind for row in board.rows] == [VISUAL_ROW, AUDIO_ROW, TEXT_ROW]
    video, music, title = board.rows
    assert video.blocks[2].media == Media(f"{drafts.CDN}/waves.mp4", video=True)
    assert [b.label for b in music.blocks] == ["Lo-fi · 35%"]
    assert [b.label for b in title.blocks] == ['"Urban Dreams"']
    assert len(board.media()) == 3  # two images, one clip: each once


def test_chinese_labels_come_from_the_texts() -> None:
    board = plan(drafts.many_tracks(), "zh")
    assert board is not None
    assert [row.label for row in board.rows] == ["视频", "背景音乐", "标题"]
    assert board.rows[2].blocks[0].label == "“Urban Dreams”"
    untitled = plan(SessionState({"t": [{"tt": 7, "sg": [{"st": 0, "d": 1}]}]}), "zh")
    assert untitled is not None and untitled.title == "你的项目"


def test_missing_durations_stay_unknown_and_the_length_comes_from_the_segments() -> None:
    board = plan(drafts.missing_durations(), "en")
    assert board is not None
    assert board.length_ms == 3000  # no `d` on the draft: where the last known segment ends
    video, title = board.rows
    assert [b.duration_ms for b in video.blocks] == [3000, 0]
    assert [(b.start_ms, b.duration_ms) for b in title.blocks] == [(1000, 0)]


def test_unknown_track_types_and_segments_without_media() -> None:
    board = plan(drafts.unknown_and_bare(), "en")
    assert board is not None
    video, stickers = board.rows
    assert (stickers.kind, stickers.label) == (OTHER_ROW, "Stickers")
    assert video.blocks[0].media is None  # only a server-local path: nothing to fetch
    assert stickers.blocks[0].label == "clip 1"
    assert board.media() == []


def test_a_segment_url_and_suffixes_say_what_to_fetch() -> None:
    segments = [
        {"id": "a", "st": 0, "d": 1000, "m": {"url": "https://x.example/a.MOV"}},
        {"id": "b", "st": 1000, "d": 1000, "m": {"src": "https://x.example/b.jpg"}},
        {"id": "c", "st": 2000, "d": 1000, "m": {"url": "ftp://x.example/c.png"}},
        {"id": "d", "st": 3000, "d": 1000, "m": {"src": "/mnt/userdata/s/d.webm"}},
    ]
    media = (GeneratedMedia("d", "video", "https://x.example/d.webm"),)
    board = plan(SessionState({"t": [{"tt": 0, "sg": segments}]}, media), "en")
    assert board is not None
    found = [b.media for b in board.rows[0].blocks]
    assert found == [
        Media("https://x.example/a.MOV", video=True),
        Media("https://x.example/b.jpg", video=False),
        None,  # not http(s)
        Media("https://x.example/d.webm", video=True),  # by its file name
    ]


def test_blocks_are_in_time_order_and_never_before_zero() -> None:
    segments = [{"st": 5000, "d": 1000}, {"st": -800, "d": 1000}, {"st": 2000, "d": -5}]
    board = plan(SessionState({"t": [{"tt": 7, "sg": segments}]}), "en")
    assert board is not None
    assert [(b.start_ms, b.duration_ms) for b in board.rows[0].blocks] == [
        (0, 1000),
        (2000, 0),
        (5000, 1000),
    ]


def test_tracks_past_the_limit_are_counted_not_drawn() -> None:
    many = [{"tt": 7, "sg": [{"st": 0, "d": 1000, "m": {"text": str(n)}}]} for n in range(11)]
    board = plan(SessionState({"t": many}), "en")
    assert board is not None
    assert len(board.rows) == MAX_ROWS and board.more_rows == 11 - MAX_ROWS
