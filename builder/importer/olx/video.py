"""``<video>`` → a ```` ```video ```` block: YouTube id, an https source, .srt transcripts from static/.

A video that has neither a YouTube id nor an https source (for example one served only through
Open edX's video pipeline, ``edx_video_id``) cannot play outside Open edX, so it is returned as a
reason and kept as a pass-through block.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from builder.importer.olx.capa import NotConvertible
from builder.importer.olx.report import ImportReport
from builder.importer.olx.static import StaticFiles

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
TIME = re.compile(r"^\d{2}:[0-5]\d:[0-5]\d$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")


def _json(value: str | None, default: Any) -> Any:
    try:
        return json.loads(value) if value else default
    except ValueError:
        return default


def read_video(
    video: etree._Element, block_id: str, static: StaticFiles, report: ImportReport, where: str
) -> dict[str, Any]:
    """The ```video YAML mapping; raises NotConvertible when the video has no playable source."""
    data: dict[str, Any] = {"id": block_id, "title": video.get("display_name") or "Video"}
    youtube = (video.get("youtube_id_1_0") or "").strip()
    if not youtube:
        for part in (video.get("youtube") or "").split(","):
            speed, _, vid = part.strip().partition(":")
            if speed in ("1.0", "1.00", "1") and vid:
                youtube = vid.strip()
    if youtube and YOUTUBE_ID.match(youtube):
        data["youtube"] = youtube
    elif youtube:
        report.drop(where, f"YouTube id `{youtube}`", "not an 11-character YouTube id")
    sources = [s for s in _json(video.get("html5_sources"), []) if isinstance(s, str)]
    sources += [s.get("src", "") for s in video.iterfind("source")]
    sources = list(dict.fromkeys(s.strip() for s in sources if s.strip()))
    https = [s for s in sources if re.match(r"^https://\S+$", s)]
    if https:
        data["mp4"] = https[0]
    for other in sources:
        if other not in https[:1]:
            report.drop(where, f"video source {other}", "one https source is kept (the first)")
    if "youtube" not in data and "mp4" not in data:
        raise NotConvertible("it has no YouTube id and no https source (Open edX video pipeline only?)")
    transcripts: dict[str, str] = {}
    found = _json(video.get("transcripts"), {})
    pairs = list(found.items()) if isinstance(found, dict) else []
    pairs += [(t.get("language", ""), t.get("src", "")) for t in video.iterfind("transcript")]
    for lang, name in pairs:
        if not isinstance(name, str) or not isinstance(lang, str) or lang in transcripts:
            continue
        safe = static.name(name)
        if not LANGUAGE.match(lang):
            report.drop(where, f"transcript `{name}`", f"language `{lang}` is not a language code")
        elif safe is None:
            report.drop(where, f"transcript `{name}`", "the file is not in the export's static/")
        elif not safe.lower().endswith(".srt"):
            report.drop(where, f"transcript `{name}`", "only SubRip (.srt) transcripts are carried")
        else:
            transcripts[lang] = f"static/{safe}"
    if transcripts:
        data["transcripts"] = dict(sorted(transcripts.items()))
    start = (video.get("start_time") or "").strip()
    end = (video.get("end_time") or "").strip()
    if TIME.match(start) and start != "00:00:00":
        data["start"] = start
    if TIME.match(end) and end != "00:00:00" and end > (data.get("start") or "00:00:00"):
        data["end"] = end
    if (video.get("edx_video_id") or "").strip():
        report.drop(
            where, f"edx_video_id {video.get('edx_video_id')}", "Open edX video pipeline ids are not carried"
        )
    if (video.get("sub") or "").strip():
        report.drop(where, f"sub={video.get('sub')}", "legacy .sjson subtitles are not carried")
    if (video.get("handout") or "").strip():
        report.drop(where, "video handout", "not carried; link the file from the unit's text instead")
    return data
