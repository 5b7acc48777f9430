"""Word documents in the layout of official documents (公文, after GB/T 9704), with python-docx.

A4, margins 37/35/28/26 mm, body in 三号 (16 pt) 仿宋_GB2312 at 22 lines a page, the title in
二号 方正小标宋简体, headings 一、 in 黑体, （一） in 楷体_GB2312, 1. and （1） in 仿宋_GB2312, page
numbers "— 1 —" in 四号 宋体 at the outer edge. Every paragraph takes one of the named styles
below (公文正文, 公文一级标题, …), so an office restyles a whole document by changing a style in
Word, never paragraph by paragraph. Fonts an office may lack are listed with a fallback
(w:altName in the font table: 仿宋_GB2312 → 仿宋, 方正小标宋简体 → 华文中宋 …), which Word uses
instead of guessing; LibreOffice substitutes through its own table.

An administrator may replace the layout: a ``公文模板.docx`` in ``<instance>/reports/`` is used as
the base of every document (its page setup, header and footer, and any of the named styles it
defines win over those here; its body text is dropped).
"""
import re
from pathlib import Path
from typing import BinaryIO, Iterable, Optional, Union

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import oxml_parser
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from lxml.etree import SubElement

TEMPLATE_NAME = "公文模板.docx"
W_P, W_PPR, W_PSTYLE, W_VAL, W_R, W_T, W_BR = (qn(name) for name in ("w:p", "w:pPr", "w:pStyle", "w:val", "w:r", "w:t", "w:br"))
PRESERVE = {"{http://www.w3.org/XML/1998/namespace}space": "preserve"}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what XML cannot hold
BODY_FONT, TITLE_FONT, HEI, KAI, SONG = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
FALLBACKS = {BODY_FONT: "仿宋", TITLE_FONT: "华文中宋", KAI: "楷体", HEI: "SimHei", SONG: "SimSun"}
SIZE_2, SIZE_3, SIZE_4, SIZE_SMALL_4 = Pt(22), Pt(16), Pt(14), Pt(12)
LINE = Pt(28.95)  # 22 lines in the 225 mm of text height
# name: (font, size, bold, alignment, first-line indent in characters, outline level or None)
STYLES = {
    "公文标题": (TITLE_FONT, SIZE_2, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
    "公文主送": (BODY_FONT, SIZE_3, False, WD_ALIGN_PARAGRAPH.LEFT, 0, None),
    "公文正文": (BODY_FONT, SIZE_3, False, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, None),
    "公文一级标题": (HEI, SIZE_3, False, WD_ALIGN_PARAGRAPH.LEFT, 2, 0),
    "公文二级标题": (KAI, SIZE_3, False, WD_ALIGN_PARAGRAPH.LEFT, 2, 1),
    "公文三级标题": (BODY_FONT, SIZE_3, True, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, 2),
    "公文四级标题": (BODY_FONT, SIZE_3, False, WD_ALIGN_PARAGRAPH.JUSTIFY, 2, 3),
    "公文附件": (BODY_FONT, SIZE_3, False, WD_ALIGN_PARAGRAPH.LEFT, 2, None),
    "公文落款": (BODY_FONT, SIZE_3, False, WD_ALIGN_PARAGRAPH.RIGHT, 0, None),
    "公文表格": (BODY_FONT, SIZE_SMALL_4, False, WD_ALIGN_PARAGRAPH.LEFT, 0, None),
    "公文页码": (SONG, SIZE_4, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
}
HEADINGS = {1: "公文一级标题", 2: "公文二级标题", 3: "公文三级标题", 4: "公文四级标题"}
DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (numbers offices number headings with)."""
    if n < 10:
        return DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    middle = "" if rest == 0 else ("零" if rest < 10 else "")
    tail = "" if rest == 0 else (DIGITS[rest] if rest < 10 else ("一" if rest < 20 else "") + chinese_numeral(rest))
    return DIGITS[hundreds] + "百" + middle + tail


def number(level: int, n: int) -> str:
    """The heading numbers of official documents: 一、 （一） 1. （1）."""
    return {1: f"{chinese_numeral(n)}、", 2: f"（{chinese_numeral(n)}）", 3: f"{n}.", 4: f"（{n}）"}[level]


class OfficialDocument:
    """A document being written paragraph by paragraph in the named styles."""

    def __init__(self, template: Optional[Path] = None, landscape: bool = False):
        self.doc = Document(str(template)) if template is not None and template.is_file() else Document()
        self.from_template = template is not None and template.is_file()
        if self.from_template:
            _clear_body(self.doc)
        else:
            _page_setup(self.doc.sections[0], landscape)
        self.styles = {name: _style(self.doc, name, spec) for name, spec in STYLES.items()}
        _fallback_fonts(self.doc)
        if not self.from_template:
            _page_numbers(self.doc)
        self._body = self.doc.element.body
        self._sect = self._body[-1] if len(self._body) and self._body[-1].tag == qn("w:sectPr") else None
        self._style_ids = {name: style.style_id for name, style in self.styles.items()}

    def paragraph(self, text: str, style: str = "公文正文") -> Paragraph:
        """Append a paragraph of ``text`` (lines split on \\n) in ``style``.

        Built with lxml's own SubElement and put before the section properties found once:
        python-docx's add_paragraph and run.text look for the right place among all the
        children each time, which made a 10,000-measure report take minutes instead of seconds."""
        element = oxml_parser.makeelement(W_P)
        properties = SubElement(element, W_PPR)
        SubElement(properties, W_PSTYLE, {W_VAL: self._style_ids[style]})
        if text:
            run = SubElement(element, W_R)
            for index, line in enumerate(CONTROL.sub("", text).split("\n")):
                if index:
                    SubElement(run, W_BR)
                SubElement(run, W_T, PRESERVE).text = line
        if self._sect is not None:
            self._sect.addprevious(element)
        else:
            self._body.append(element)
        return Paragraph(element, self.doc._body)

    def title(self, text: str):
        paragraph = self.paragraph(text, "公文标题")
        self.paragraph("", "公文主送")  # one blank line under the title
        return paragraph

    def heading(self, level: int, text: str):
        return self.paragraph(text, HEADINGS[level])

    def placeholder(self, text: str):
        """A passage the office must still write: marked so it cannot be overlooked."""
        paragraph = self.paragraph("", "公文正文")
        run = paragraph.add_run(text)
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        return paragraph

    def signature(self, org: str, day: str):
        self.paragraph("", "公文落款")
        self.paragraph(org or "（单位名称）", "公文落款")
        self.paragraph(day, "公文落款")

    def table(self, rows: Iterable[Iterable[str]], widths_mm: list[float], header: bool = True):
        """A bordered table in 公文表格 style; ``rows`` of cell texts (a cell's lines split on \\n)."""
        rows = [list(row) for row in rows]
        table = self.doc.add_table(rows=len(rows), cols=len(widths_mm))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        style = self.styles["公文表格"]
        for r, (row, cells) in enumerate(zip(rows, table.rows)):
            for text, cell, width in zip(row, cells.cells, widths_mm):
                cell.width = Mm(width)
                lines = str(text).split("\n")
                first = cell.paragraphs[0]
                first.style = style
                first.add_run(lines[0]).bold = header and r == 0
                for line in lines[1:]:
                    cell.add_paragraph(line, style)
        if header:
            _repeat_header(table.rows[0])
        return table

    def save(self, out: Union[str, Path, BinaryIO]) -> None:
        self.doc.save(out)


def template_path(instance_path: Union[str, Path]) -> Path:
    return Path(instance_path) / "reports" / TEMPLATE_NAME


def _page_setup(section, landscape: bool) -> None:
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    if landscape:
        section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Mm(28), Mm(26), Mm(37), Mm(35)
    else:
        section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    section.footer_distance = Mm(28 - 7) if not landscape else Mm(15)


def _fonts(element, font: str) -> None:
    fonts = element.get_or_add_rPr().get_or_add_rFonts() if hasattr(element, "get_or_add_rPr") else element
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), "Times New Roman")
    fonts.set(qn("w:eastAsia"), font)


def _style(doc, name: str, spec):
    """The named paragraph style; a template's own definition is kept as it is."""
    if name in [s.name for s in doc.styles if s.type == WD_STYLE_TYPE.PARAGRAPH]:
        return doc.styles[name]
    font, size, bold, alignment, indent, outline = spec
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size, style.font.bold, style.font.name = size, bold, "Times New Roman"
    _fonts(style.element, font)
    layout = style.paragraph_format
    layout.alignment = alignment
    layout.space_before = layout.space_after = Pt(0)
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = LINE if size >= SIZE_3 else Pt(20)
    if name == "公文标题":
        layout.line_spacing = Pt(36)
    pPr = style.element.get_or_add_pPr()
    if indent:
        ind = OxmlElement("w:ind")
        ind.set(qn("w:firstLineChars"), str(indent * 100))
        ind.set(qn("w:firstLine"), str(int(size.pt * indent * 20)))
        pPr.append(ind)
    if outline is not None:
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(outline))
        pPr.append(level)
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    pPr.append(snap)
    return style


def _fallback_fonts(doc) -> None:
    """Name a fallback for each font an office may lack, in the font table Word reads."""
    part = next((p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml"), None)
    if part is None or not hasattr(part, "_blob"):
        return
    table = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in table.findall(qn("w:font"))}
    for font, fallback in FALLBACKS.items():
        if font in known:
            continue
        table.append(parse_xml(f'<w:font {nsdecls("w")} w:name="{font}"><w:altName w:val="{fallback}"/>'
                               f'<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'))
    from lxml import etree

    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_numbers(doc) -> None:
    """"— 1 —" at the outer edge: odd pages right, even pages left, one character in."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    style = doc.styles["公文页码"]
    for footer, alignment, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                    (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        paragraph = footer.paragraphs[0]
        paragraph.style = style
        paragraph.alignment = alignment
        if side == "right":
            paragraph.paragraph_format.right_indent = Pt(14)
        else:
            paragraph.paragraph_format.left_indent = Pt(14)
        paragraph.add_run("— ")
        _field(paragraph, "PAGE")
        paragraph.add_run(" —")


def _field(paragraph, code: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == code:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {code} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _repeat_header(row) -> None:
    trPr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trPr.append(header)


def _clear_body(doc) -> None:
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
