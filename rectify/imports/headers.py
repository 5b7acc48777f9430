"""Recognising a ledger's header row, wherever it is and however it is written."""
import re
import unicodedata
from typing import Optional

# field: header words seen in real ledgers (../shared/DOMAIN.md), most specific first.
FIELD_HEADERS = {
    "number": ["序号", "编号", "事项编号", "问题编号"],
    "aspect": ["问题类别", "问题类型", "事项类别", "整改类型", "方面", "类别", "问题方面"],
    "problem": ["存在问题", "反馈问题", "具体问题", "问题描述", "问题表现", "问题内容", "主要问题", "整改任务",
                "问题清单", "问题"],
    "measure": ["整改措施", "具体措施", "措施内容", "整改举措", "措施"],
    "goal": ["整改目标", "成果形式", "阶段性目标", "预期目标"],
    "leader": ["责任领导", "牵头领导", "分管领导", "包保领导", "领导"],
    "unit": ["责任单位", "责任科室", "责任部门", "牵头单位", "牵头股室", "主办单位", "责任主体", "牵头部门"],
    "cooperating": ["配合单位", "协办单位", "配合部门"],
    "owner": ["具体责任人", "整改责任人", "责任人", "经办人", "主办人"],
    "deadline": ["整改完成时限", "整改时限", "完成时限", "完成时间", "时限要求", "办理时限", "时限"],
    "progress": ["整改完成情况", "整改进展", "进展情况", "落实情况", "完成情况", "整改情况"],
    "status": ["整改状态", "措施状态", "是否完成", "状态"],
    "evidence": ["佐证材料", "证明材料", "支撑材料"],
    "note": ["备注"],
}
FIELD_LABELS = {
    "number": "序号", "aspect": "问题类别", "problem": "存在问题", "measure": "整改措施", "goal": "整改目标",
    "leader": "责任领导", "unit": "责任单位", "cooperating": "配合单位", "owner": "责任人",
    "deadline": "整改时限", "progress": "整改进展", "status": "整改状态", "evidence": "佐证材料", "note": "备注",
}
_LOOKUP = {word: field for field, words in FIELD_HEADERS.items() for word in words}
_NOISE = re.compile(r"[\s:：*＊]|（[^）]*）|\([^)]*\)")


def normalize_header(value) -> str:
    """责 任 人 / 整改\\n时限 / 整改时限（年月日）→ 责任人 / 整改时限 / 整改时限."""
    if value is None:
        return ""
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(value)))


def field_for(value) -> Optional[str]:
    """The field a header cell names, or None."""
    text = normalize_header(value)
    if not text or len(text) > 12:
        return None
    if text in _LOOKUP:
        return _LOOKUP[text]
    for word in sorted(_LOOKUP, key=len, reverse=True):
        if len(word) >= 3 and word in text:
            return _LOOKUP[word]
    return None


def map_row(row) -> dict[int, str]:
    """Column index → field for one candidate header row (first column wins for a field)."""
    mapping = {}
    for index, value in enumerate(row):
        field = field_for(value)
        if field and field not in mapping.values():
            mapping[index] = field
    return mapping


def find_header(rows, hidden: set[int], scan: int = 30) -> Optional[tuple[int, dict[int, str], int]]:
    """Find the header: (row index, column → field, number of header rows), or None.

    The header is the row naming the most fields, among them a problem or a measure. A
    second header row below it (责任分工 over 牵头领导 / 牵头单位 / 配合单位) adds its fields to
    the columns it names. Hidden columns are ignored.
    """
    best = None
    for index, row in enumerate(rows[:scan]):
        mapping = {c: f for c, f in map_row(row).items() if c not in hidden}
        if {"problem", "measure"} & set(mapping.values()) and len(mapping) >= 2:
            if best is None or len(mapping) > len(best[1]):
                best = (index, mapping)
    if best is None:
        return None
    index, mapping = best
    height = 1
    if index + 1 < len(rows):
        below = {c: f for c, f in map_row(rows[index + 1]).items()
                 if c not in hidden and f not in mapping.values()}
        if below:
            mapping = {**mapping, **below}
            height = 2
    return index, mapping, height
