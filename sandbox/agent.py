"""The rule-based agent: what a message asks for, and the words of the answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

CJK = re.compile(r"[\u3400-\u9fff]")
TITLE_PATTERNS = (
    re.compile(r"\badd\s+(?:a\s+|the\s+)?title\b\s*[:：]?\s*(.*)", re.I | re.S),
    re.compile(r"\btitle\s*[:：]\s*(.*)", re.I | re.S),
    re.compile(r"标题\s*[:：]?\s*(.*)", re.S),
)
MUSIC = re.compile(
    r"\badd\s+(?:some\s+)?(?:background\s+)?music\b|\bbgm\b|\bbackground\s+music\b|背景音乐", re.I
)
TIMELINE_EXPLICIT = re.compile(
    r"\bshow\s+(?:me\s+)?(?:the\s+)?(?:timeline|tracks)\b|\blist\s+(?:the\s+)?tracks\b|时间线", re.I
)
TIMELINE_WORD = re.compile(r"\btimeline\b", re.I)
GENERATE = re.compile(r"\b(?:generate|draw|make|create)\b|生成|画", re.I)
WANTS_VIDEO = re.compile(r"\bvideo\b|\bslideshow\b|视频|幻灯片", re.I)
LANDSCAPE = re.compile(r"16:9|\blandscape\b|\bwide(?:screen)?\b|\bhorizontal\b|横屏", re.I)
PORTRAIT = re.compile(r"9:16|\bportrait\b|\bvertical\b|竖屏", re.I)
ASPECT_WORDS = re.compile(
    r"\b(?:in\s+)?(?:16:9|9:16|1:1|landscape|portrait|vertical|widescreen|wide|horizontal)"
    r"(?:\s+(?:format|aspect(?:\s+ratio)?|orientation|mode))?",
    re.I,
)
CUT_TAIL = re.compile(
    r"[\s,.;]*\b(?:and|then)\s+(?:then\s+)?(?:export|turn|add|put|send|make)\b.*$", re.I
)
COUNT = re.compile(
    r"\b(\d+|two|three|four|five)\s+(?:free\s+)?(?:ai\s+)?(?:images|pictures|photos|illustrations)\b",
    re.I,
)
COUNT_ZH = re.compile(r"(\d+|两|二|三|四|五)\s*张")
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5}
LEAD_FILLER = re.compile(
    r"^\s*(?:me\s+|please\s+)*"
    r"(?:(?:a|an|one|some|another|\d+|two|three|four|five)\s+)?(?:new\s+)?(?:free\s+)?(?:ai\s+)?"
    r"(?:images?|pictures?|photos?|illustrations?|drawings?|artworks?)\b"
    r"(?:\s+(?:of|showing|about|with|for|from)\b)?[\s:,]*",
    re.I,
)
MAX_IMAGES = 4


@dataclass(frozen=True)
class Intent:
    """What one user message asks the agent to do."""

    kind: str
    chinese: bool
    prompt: str = ""
    aspect_ratio: str = "1:1"
    count: int = 1
    title: str = ""
    wants_video: bool = False


def parse_message(text: str) -> Intent:
    """Classify a message (English or Chinese, any case) into an intent."""
    chinese = bool(CJK.search(text))
    title = _title(text)
    if title is not None:
        return Intent("title" if title else "chat", chinese, title=title)
    if MUSIC.search(text):
        return Intent("music", chinese)
    if TIMELINE_EXPLICIT.search(text):
        return Intent("timeline", chinese)
    match = GENERATE.search(text)
    if match:
        return Intent(
            "generate",
            chinese,
            prompt=_prompt(text[match.end() :], chinese),
            aspect_ratio=_aspect(text),
            count=_count(text),
            wants_video=bool(WANTS_VIDEO.search(text)),
        )
    if TIMELINE_WORD.search(text):
        return Intent("timeline", chinese)
    return Intent("chat", chinese)


def _title(text: str) -> str | None:
    for pattern in TITLE_PATTERNS:
        match = pattern.search(text)
        if match:
            quoted = re.match(r"\s*[\"“'「『](.+?)[\"”'」』]", match.group(1))
            raw = quoted.group(1) if quoted else match.group(1)
            return raw.strip().strip("\"“”'「」『』").strip()
    return None


def _aspect(text: str) -> str:
    if PORTRAIT.search(text):
        return "9:16"
    if LANDSCAPE.search(text):
        return "16:9"
    return "1:1"


def _count(text: str) -> int:
    match = COUNT.search(text) or COUNT_ZH.search(text)
    if not match:
        return 1
    word = match.group(1).lower()
    value = int(word) if word.isdigit() else NUMBERS[word]
    return max(1, min(MAX_IMAGES, value))


def _prompt(rest: str, chinese: bool) -> str:
    rest = CUT_TAIL.sub("", rest)
    rest = ASPECT_WORDS.sub("", rest)
    if chinese:
        rest = re.split(r"[，,。；;]|并且|然后|并", rest)[0]
        rest = re.sub(r"^\s*(?:\d+|一|两|二|三|四|五)?\s*[张幅个]", "", rest)
        rest = re.sub(r"(?:的)?(?:图片|图像|照片|图)\s*$", "", rest)
    rest = LEAD_FILLER.sub("", rest)
    rest = re.sub(r"^\s*(?:me|please)\b", "", rest, flags=re.I)
    prompt = " ".join(rest.split()).strip(" \t\"'“”「」.,!?:;。！？")
    if prompt:
        return prompt
    return "抽象图案" if chinese else "abstract colourful shapes"


def generate_reply(intent: Intent, count: int) -> str:
    """Text after images were generated."""
    if intent.chinese:
        head = f"这是你要的「{intent.prompt}」图片。"
        if intent.wants_video:
            return head + "已加入时间线，点击导出即可下载视频。"
        return head + "要加标题或导出为幻灯片视频吗？"
    if count > 1:
        head = f"Here are your {count} images of {intent.prompt}."
    else:
        head = f"Here is your image of {intent.prompt}."
    if intent.wants_video:
        added = "them" if count > 1 else "it"
        return head + f" I added {added} to the timeline. Click Export to download your video."
    return head + " Want me to add a title or export it as a slideshow?"


def title_reply(intent: Intent) -> str:
    """Text after a title was set (written as if the user had the GUI)."""
    if intent.chinese:
        return f"已添加标题「{intent.title}」。打开时间线预览，然后点击导出即可下载。"
    return (
        f'Added the title "{intent.title}". Open the timeline to preview it, '
        "then click Export to download."
    )


def chat_reply(text: str, chinese: bool) -> str:
    """A short answer for greetings, help and anything unrecognised."""
    greeting = re.search(r"\b(?:help|hello|hi|hey)\b|你好|帮助", text, re.I)
    if chinese:
        if greeting:
            return (
                "你好！我是 NemoVideo 助手。告诉我想要什么画面，"
                "比如“生成一张山间湖泊日落的图片”，然后可以加标题、背景音乐并导出视频。"
            )
        return (
            "我可以生成图片、添加标题和背景音乐，并把它们导出为幻灯片视频。"
            "试试：生成一张山间湖泊日落的图片。"
        )
    if greeting:
        return (
            "Hi! I'm the NemoVideo agent. Tell me what to create, for example "
            '"generate a sunset over a mountain lake", then add a title or music '
            "and export it as a video."
        )
    return (
        "I can generate images, add a title and background music, and export everything as a "
        "slideshow video. Try: generate a sunset over a mountain lake."
    )


def split_text(text: str, pieces: int = 4) -> list[str]:
    """Cut a text into a few streaming chunks that join back to the text."""
    if len(text) < 2:
        return [text]
    count = max(2, min(pieces, len(text) // 8 or 2))
    size = -(-len(text) // count)
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        space = text.rfind(" ", start + 1, end + 1) if end < len(text) else -1
        if space > start:
            end = space + 1
        chunks.append(text[start:end])
        start = end
    return chunks
