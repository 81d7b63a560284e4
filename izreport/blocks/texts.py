"""The sections the data cannot write, from a per-period Markdown file analysts edit.

``reports/2021-H1.md`` (``reports/2021-H1_hoa-xa.md`` for one zone) holds one ``##``
heading per section. A required section that is missing, empty or still a placeholder
makes the report a draft (DỰ THẢO); ``--final`` refuses to render until it is written.

A ``##`` heading that names none of the known :data:`SECTIONS` never fails a render: it
starts an *extra* section, kept with its heading as written. Its place is the known
heading it follows in the file: :meth:`PeriodTexts.extras_after` gives the extra sections
written after the known section ``key`` and before the next known heading, in file order
(``key=None``: those before the first known heading). Extra sections are never required;
one that is empty or still a placeholder is left out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from izreport.core.errors import DataError
from izreport.core.files import zone_slug
from izreport.core.i18n import _
from izreport.storage.data import fold

TEXTS_ENV = "IZREPORT_TEXTS"
#: Written into new files; a section still containing it counts as not written.
PLACEHOLDER = "(Nhập nội dung)"


@dataclass(frozen=True)
class SectionSpec:
    """A hand-written section: key, heading, whether a final report needs it."""

    key: str
    title: str
    required: bool
    keywords: tuple[str, ...]


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("situation", "Đặc điểm tình hình", False, ("dacdiem", "tinhhinhchung")),
    SectionSpec("environment", "Công tác bảo vệ môi trường", True, ("moitruong",)),
    SectionSpec("administration", "Công tác quản lý nhà nước, cải cách hành chính", True,
                ("quanlynhanuoc", "caicachhanhchinh")),
    SectionSpec("shortcomings", "Tồn tại, hạn chế và nguyên nhân", True,
                ("tontai", "hanche")),
    SectionSpec("tasks", "Nhiệm vụ, giải pháp trọng tâm kỳ tới", True,
                ("nhiemvu", "giaiphap")),
    SectionSpec("proposals", "Kiến nghị, đề xuất", True, ("kiennghi", "dexuat")),
)
_BY_KEY = {s.key: s for s in SECTIONS}


def texts_dir() -> Path:
    """IZREPORT_TEXTS if set, else ``[store] texts`` of the configuration (``reports/``)."""
    from izreport.core.config import store_settings

    env = os.environ.get(TEXTS_ENV)
    return Path(env) if env else store_settings().texts


def texts_path(period: str, zone_id: str | None = None, folder: Path | None = None) -> Path:
    # from the data: it must not lead out of the folder
    name = f"{period}_{zone_slug(zone_id)}.md" if zone_id else f"{period}.md"
    return (folder or texts_dir()) / name


@dataclass(frozen=True)
class ExtraSection:
    """A section the analyst added under a heading of their own, and where it stands."""

    after: str | None  # key of the known section heading above it; None: before all
    title: str
    body: str


@dataclass(frozen=True)
class PeriodTexts:
    """The hand-written sections of one report and what is still missing."""

    path: Path
    sections: dict[str, str]
    required: bool = True  # False for reports made from data alone
    extras: tuple[ExtraSection, ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        """Titles of required sections not written yet."""
        if not self.required:
            return ()
        return tuple(s.title for s in SECTIONS if s.required and s.key not in self.sections)

    @property
    def complete(self) -> bool:
        return not self.missing

    def get(self, key: str) -> str | None:
        return self.sections.get(key)

    def extras_after(self, key: str | None) -> list[tuple[str, str]]:
        """(title, body) of the added sections placed after known section ``key``.

        A key that is no known section is a programming error, not an empty answer.
        """
        if key is not None and key not in _BY_KEY:
            raise KeyError(f"unknown section key {key!r}; keys: {', '.join(_BY_KEY)}")
        return [(e.title, e.body) for e in self.extras if e.after == key]


def _match(heading: str) -> SectionSpec | None:
    folded = fold(heading)
    for spec in SECTIONS:
        if any(k in folded for k in spec.keywords):
            return spec
    return None


def _written(body: str) -> bool:
    text = body.strip()
    return bool(text) and PLACEHOLDER not in text and not re.fullmatch(r"[.…\s-]*", text)


def read_texts(period: str, zone_id: str | None = None, folder: Path | None = None
               ) -> PeriodTexts:
    """Parse the period's file; a heading that names no known section is an extra one."""
    path = texts_path(period, zone_id, folder)
    if not path.is_file():
        return PeriodTexts(path, {})
    sections: dict[str, str] = {}
    extras: list[ExtraSection] = []
    after: str | None = None  # the last known heading seen
    heading: str | None = None  # the current section's heading; None before the first
    current: SectionSpec | None = None
    lines: list[str] = []

    def close() -> None:
        text = "\n".join(lines)
        if heading is None or not _written(text):
            return
        body = text.strip() + "\n"
        if current is not None:
            sections[current.key] = body
        else:
            extras.append(ExtraSection(after, heading, body))

    text = path.read_text(encoding="utf-8")
    _refuse_images(path, text)
    for line in text.splitlines():
        if line.startswith("## "):
            close()
            heading, current, lines = line[3:].strip(), _match(line[3:]), []
            if current is not None:
                after = current.key
        elif line.startswith("# ") and heading is None:
            continue  # the file's own title
        elif heading is not None:
            lines.append(line)
    close()
    return PeriodTexts(path, sections, extras=tuple(extras))


def _images(tokens: list[dict[str, Any]]) -> Iterator[str]:
    for token in tokens:
        if token.get("type") == "image":
            yield str(token.get("attrs", {}).get("url", ""))
        yield from _images(token.get("children") or [])


def _refuse_images(path: Path, text: str) -> None:
    """Hand-written Markdown brings in no image from the network or from another file.

    The page must work offline and the PDF renderer must fetch nothing, so an image is
    accepted only embedded in the text itself (a ``data:`` URL).
    """
    if "![" not in text:  # every Markdown image starts so: no need to parse the file twice
        return
    import mistune

    for url in _images(mistune.create_markdown(renderer=None)(text)):
        if not url.strip().lower().startswith("data:"):
            line = next((n for n, t in enumerate(text.splitlines(), 1) if url in t), None)
            where = _("{path}, line {line}").format(path=path, line=line) if line else str(path)
            raise DataError(_("{where}: the image {url!r} cannot be used: the report loads "
                              "nothing from the network or from other files (only embedded data: "
                              "images)").format(where=where, url=url))


def skeleton(title: str, situation: str = "") -> str:
    """A new file for analysts: every section heading, the drafted situation text."""
    parts = [f"# {title}", "",
             "<!-- Mỗi mục một tiêu đề '## '. Mục còn '(Nhập nội dung)' được coi là chưa viết:",
             "     báo cáo khi đó là DỰ THẢO và không in được bản chính thức (--final).",
             "     Một tiêu đề '## ' khác các mục dưới đây là một mục thêm, in sau mục đứng",
             "     trước nó trong tệp này. -->", ""]
    for spec in SECTIONS:
        body = situation if spec.key == "situation" and situation else PLACEHOLDER
        parts += [f"## {spec.title}", "", body, ""]
    return "\n".join(parts)


def section_title(key: str) -> str:
    return _BY_KEY[key].title
