"""The sections the data cannot write, from a per-period Markdown file analysts edit.

``reports/2021-H1.md`` (``reports/2021-H1_hoa-xa.md`` for one zone) holds one ``##``
heading per section. A required section that is missing, empty or still a placeholder
makes the report a draft (DỰ THẢO); ``--final`` refuses to render until it is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from izreport.data import fold
from izreport.errors import DataError

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
    from izreport.config import store_settings

    env = os.environ.get(TEXTS_ENV)
    return Path(env) if env else store_settings().texts


def texts_path(period: str, zone_id: str | None = None, folder: Path | None = None) -> Path:
    name = f"{period}_{zone_id}.md" if zone_id else f"{period}.md"
    return (folder or texts_dir()) / name


@dataclass(frozen=True)
class PeriodTexts:
    """The hand-written sections of one report and what is still missing."""

    path: Path
    sections: dict[str, str]
    required: bool = True  # False for reports made from data alone

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
    """Parse the period's file; a heading that names no known section is an error."""
    path = texts_path(period, zone_id, folder)
    if not path.is_file():
        return PeriodTexts(path, {})
    sections: dict[str, str] = {}
    current: SectionSpec | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None and _written("\n".join(lines)):
            sections[current.key] = "\n".join(lines).strip() + "\n"

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("## "):
            close()
            current, lines = _match(line[3:]), []
            if current is None:
                known = "; ".join(s.title for s in SECTIONS)
                raise DataError(f"{path}: line {number}: heading '{line[3:].strip()}' names no "
                                f"section of the report; sections: {known}")
        elif line.startswith("# ") and current is None:
            continue  # the file's own title
        elif current is not None:
            lines.append(line)
    close()
    return PeriodTexts(path, sections)


def skeleton(title: str, situation: str = "") -> str:
    """A new file for analysts: every section heading, the drafted situation text."""
    parts = [f"# {title}", "",
             "<!-- Mỗi mục một tiêu đề '## '. Mục còn '(Nhập nội dung)' được coi là chưa viết:",
             "     báo cáo khi đó là DỰ THẢO và không in được bản chính thức (--final). -->", ""]
    for spec in SECTIONS:
        body = situation if spec.key == "situation" and situation else PLACEHOLDER
        parts += [f"## {spec.title}", "", body, ""]
    return "\n".join(parts)


def section_title(key: str) -> str:
    return _BY_KEY[key].title
