"""Word documents (python-docx) of the history reports: headings, tables, chart pictures.

:class:`WordDocument` is the small builder the monthly report and the proposals use::

    doc = WordDocument("zh")
    doc.heading("月度服務報告 2026-10", 0)
    doc.bullets(["巡檢次數: 31"])
    doc.table(["設備類別", "%"], [["網絡設備", 96.5]])
    doc.picture(png_bytes)
    data = doc.to_bytes()          # a .docx file's bytes

Chinese renders in Word and LibreOffice because every run names an East Asian font (the
``w:eastAsia`` attribute of ``w:rFonts``; Noto Sans CJK TC, the font of the XLSX reports) and
the styles used (Normal, Title, headings, List Bullet, Table Grid) name it too, with their theme
font attributes removed so the theme cannot override it. Word looks the font up on the reader's
machine; nothing is embedded.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph

from patrol.i18n import cjk_font, docx_lang, is_zh

__all__ = ["EAST_ASIAN_FONT", "LATIN_FONT", "WordDocument"]

EAST_ASIAN_FONT = "Noto Sans CJK TC"
LATIN_FONT = "Noto Sans"
_STYLES = ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Table Grid")
_THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _name_fonts(r_pr: Any, lang: str) -> None:
    """Set ascii / hAnsi / eastAsia fonts on an ``w:rPr`` and drop the theme fonts that would win."""
    fonts = r_pr.get_or_add_rFonts()
    for attribute in _THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), cjk_font(lang))  # EAST_ASIAN_FONT (TC), SC in zh-Hans
    if is_zh(lang):
        language = r_pr.find(qn("w:lang"))
        if language is None:
            language = r_pr.makeelement(qn("w:lang"), {})
            r_pr.append(language)  # w:lang is near the end of w:rPr's sequence
        language.set(qn("w:eastAsia"), docx_lang(lang))


class WordDocument:
    """A .docx being built in ``lang`` (``en``, ``zh-Hans`` or ``zh-Hant``); see the module docstring."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.document = Document()
        for name in _STYLES:
            _name_fonts(self.document.styles[name].element.get_or_add_rPr(), lang)
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
        section.left_margin = section.right_margin = Cm(2)

    def _text(self, paragraph: Paragraph, text: str, bold: bool = False) -> None:
        run = paragraph.add_run(text)
        run.bold = bold or None
        _name_fonts(run._r.get_or_add_rPr(), self.lang)

    def heading(self, text: str, level: int = 1) -> None:
        """Title (``level`` 0) or heading 1-3."""
        paragraph = self.document.add_heading("", level)
        self._text(paragraph, text)

    def paragraph(self, text: str, bold: bool = False) -> None:
        self._text(self.document.add_paragraph(), text, bold)

    def bullets(self, items: Iterable[str]) -> None:
        for item in items:
            self._text(self.document.add_paragraph(style="List Bullet"), item)

    def table(self, header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> None:
        """A grid table: bold header row, one row per item; ``None`` shows as a dash."""
        table = self.document.add_table(rows=1 + len(rows), cols=len(header), style="Table Grid")
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        for r, values in enumerate([header, *rows]):
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                self._text(cell.paragraphs[0], "—" if value is None else str(value), bold=r == 0)
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(9)
        self.document.add_paragraph()

    def picture(self, png: bytes, width_cm: float = 16.5) -> None:
        """A chart (PNG bytes) scaled to the text width."""
        self.document.add_picture(io.BytesIO(png), width=Cm(width_cm))

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()
