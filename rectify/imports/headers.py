"""Which column holds what: the header words of real lists, and the reason for each choice.

Offices name the same column many ways (../shared/DOMAIN.md): 存在问题, 督查发现问题, 审计发现问题,
隐患内容, 问题及隐患; 责任单位, 主管单位, 属地, 主体责任; 整改时限, 整改期限, 限期. A header is read
in three steps, the first that answers wins:

1. ``WORDS``: the exact header words seen in real lists, field by field;
2. ``RULES``: what a header contains, in order (监督 before 单位, 措施 before 时限, 类别 before
   问题), each rule with the reason the report gives;
3. otherwise the column is kept as a note under its own header (``None``).

The header row is the row that scores best among the first rows (exact words count more than
guesses; a row holding long text is data, not a header). When several columns claim one
field, their cells decide: a column headed 问题 holding 问题一, 问题二 numbers the problems, and
of several problem columns the one with the longest text holds the problems. A progress column
holding only status words (已整改, 未整改) is the status.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from rectify.imports.statuses import status_for

# field: header words seen in real lists, as written after normalize_header.
WORDS = {
    "number": ["序号", "编号", "事项编号", "问题编号", "问题序号", "隐患编号", "排序", "序"],
    "aspect": ["问题类别", "问题类型", "事项类别", "整改类型", "方面", "类别", "问题方面", "问题分类", "隐患类别",
               "隐患类型", "类型", "分类", "领域", "所属领域", "问题领域"],
    "problem": ["存在问题", "反馈问题", "具体问题", "问题描述", "问题表现", "问题内容", "主要问题", "整改任务",
                "问题清单", "问题", "督查发现问题", "督察发现问题", "审计发现问题", "巡察发现问题", "巡视发现问题",
                "检查发现问题", "发现问题", "隐患内容", "隐患描述", "问题及隐患", "隐患问题", "存在的问题",
                "反馈意见", "巡察反馈意见", "巡察反馈问题", "审计查出问题", "问题事项", "督办事项", "交办事项",
                "问题和不足", "存在的主要问题", "问题具体表现", "具体表现", "事项内容", "隐患", "安全隐患", "事项"],
    "requirement": ["整改要求", "整改意见", "整改建议", "处理意见", "审计建议", "工作要求", "督办要求", "交办要求",
                    "意见建议", "审计意见", "整改目标要求"],
    "measure": ["整改措施", "具体措施", "措施内容", "整改举措", "措施", "整改落实措施", "具体整改措施", "整改措施及方案",
                "整改方案", "治理措施", "整治措施"],
    "goal": ["整改目标", "成果形式", "阶段性目标", "预期目标", "完成标志", "验收标准", "整改成果"],
    "leader": ["责任领导", "牵头领导", "分管领导", "包保领导", "领导", "包联领导", "责任校领导", "牵头县领导", "县级领导",
               "包案领导", "责任院领导"],
    "unit": ["责任单位", "责任科室", "责任部门", "牵头单位", "牵头股室", "主办单位", "责任主体", "牵头部门",
             "主管单位", "属地", "属地单位", "主体责任", "主体责任单位", "整改单位", "整改责任单位", "被检查单位",
             "被督查单位", "被审计单位", "单位名称", "所属单位", "涉及单位", "问题单位", "责任乡镇", "乡镇", "乡镇街道",
             "单位", "承办单位", "部门", "企业名称", "责任处室"],
    "supervisor": ["监督责任", "监督单位", "监管单位", "监管部门", "督办单位", "监督责任单位", "行业主管部门",
                   "行业监管部门", "督导单位", "监督部门"],
    "cooperating": ["配合单位", "协办单位", "配合部门", "协助单位", "参与单位", "协同单位", "协作单位"],
    "owner": ["具体责任人", "整改责任人", "责任人", "经办人", "主办人", "联系人", "负责人", "具体负责人", "整改负责人"],
    "deadline": ["整改完成时限", "整改时限", "完成时限", "完成时间", "时限要求", "办理时限", "时限", "整改期限", "限期",
                 "期限", "整改时间", "时间节点", "完成期限", "办结时限", "截止时间", "整改时限要求", "完成日期",
                 "整改完成时间"],
    "completed": ["实际完成时间", "实际完成日期", "销号时间", "办结时间", "销号日期"],
    "progress": ["整改完成情况", "整改进展", "进展情况", "落实情况", "完成情况", "整改情况", "整改落实情况", "整改成效",
                 "整改结果", "办理情况", "推进情况", "目前进展", "整改进度", "进度", "整改进展情况"],
    "status": ["整改状态", "措施状态", "是否完成", "状态", "是否整改到位", "是否整改", "完成状态", "是否销号",
               "整改是否到位", "是否完成整改"],
    "location": ["点位", "具体点位", "地点", "位置", "所属区域", "具体位置", "隐患部位", "部位", "检查点位", "问题点位",
                 "所在位置", "地址", "区域", "场所", "具体地点", "问题地点", "检查地点", "路段"],
    "evidence": ["佐证材料", "证明材料", "支撑材料", "整改佐证", "佐证资料"],
    "note": ["备注", "说明"],
    "system_id": ["系统编号"],  # the hidden id column of a ledger this system exported
}
# What a header contains, in order; the first rule that matches decides. None: kept as a note.
RULES: list[tuple[Optional[str], tuple[str, ...], str]] = [
    (None, ("来源", "电话", "手机", "发现时间", "检查时间", "交办时间", "排查时间", "登记时间", "反馈时间", "等级", "级别",
            "金额", "依据", "签字", "签名"), "不是导入字段"),
    ("number", ("序号", "编号"), "含“序号/编号”"),
    ("supervisor", ("监督", "监管", "督办单位", "督导"), "含“监督/监管”：监督单位，不是责任单位"),
    ("cooperating", ("配合", "协办", "协助", "协同"), "含“配合/协办”"),
    ("leader", ("领导",), "含“领导”"),
    ("owner", ("责任人", "负责人", "经办人", "主办人", "联系人", "整改人"), "含“责任人/负责人”"),
    ("completed", ("实际完成", "销号时间", "销号日期", "办结时间"), "含“实际完成/销号时间”：完成时间"),
    ("measure", ("措施", "举措"), "含“措施”"),
    ("deadline", ("时限", "期限", "限期", "时间节点", "完成时间", "截止", "整改时间", "完成日期"), "含“时限/期限”"),
    ("requirement", ("要求", "意见", "建议"), "含“要求/意见/建议”：整改要求"),
    ("progress", ("进展", "落实情况", "完成情况", "整改情况", "办理情况", "推进情况", "整改结果", "整改成效", "进度"),
     "含“进展/落实情况”"),
    ("status", ("状态", "是否"), "含“状态/是否”"),
    ("location", ("点位", "地点", "位置", "部位", "区域", "地址", "场所", "路段"), "含“点位/地点/位置”"),
    ("aspect", ("类别", "类型", "方面", "分类", "领域"), "含“类别/方面”"),
    ("evidence", ("佐证", "证明材料", "支撑材料"), "含“佐证”"),
    ("goal", ("目标", "成果", "验收标准"), "含“目标”"),
    ("unit", ("单位", "部门", "科室", "股室", "主体", "属地", "乡镇", "街道", "处室", "承办", "牵头"), "含“单位/部门/主体/属地”"),
    ("problem", ("问题", "隐患", "反馈意见", "事项", "不足", "表现"), "含“问题/隐患”"),
    ("note", ("备注",), "含“备注”"),
]
LABELS = {
    "number": "序号", "aspect": "问题类别", "problem": "存在问题", "requirement": "整改要求", "measure": "整改措施",
    "goal": "整改目标", "leader": "责任领导", "unit": "责任单位", "supervisor": "监督单位", "cooperating": "配合单位",
    "owner": "责任人", "deadline": "整改时限", "completed": "完成时间", "progress": "整改进展", "status": "整改状态",
    "location": "点位", "evidence": "佐证材料", "note": "备注", "system_id": "系统编号",
}
CORE = {"problem", "measure", "requirement"}  # a table names at least one of these
_EXACT = {word: name for name, words in WORDS.items() for word in words}
_NOISE = re.compile(r"[\s:：*＊【】\[\]〔〕]|（[^）]*）|\([^)]*\)")
# What a header cell never is: long text, a date, a number (a data row, a title).
HEADER_MAX = 16
ORDINAL = re.compile(r"^(?:问题|隐患|第)?[（(]?[0-9一二三四五六七八九十百零〇两]+[）)]?[项个条号类、.．]?$")
SCAN = 40
COMPLETION_HEADERS = {"完成时间", "完成日期", "整改完成时间"}


def normalize_header(value) -> str:
    """责 任 人 / 整改\\n时限 / 整改时限（年月日）/ 【存在问题】 → 责任人 / 整改时限 / 整改时限 / 存在问题."""
    if value is None:
        return ""
    return _normalize(str(value))


@lru_cache(maxsize=4096)
def _normalize(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Reading:
    """What one header cell names, how sure that is (3 exact, 2 a known word in it, 1 a rule), and why."""
    field: Optional[str]
    strength: int
    reason: str


def read_header(value) -> Reading:
    text = normalize_header(value)
    if not text or len(text) > HEADER_MAX:
        return Reading(None, 0, "")
    if text in _EXACT:
        return Reading(_EXACT[text], 3, f"表头“{text}”")
    for word in sorted(_EXACT, key=len, reverse=True):
        if len(word) >= 3 and word in text and not _excluded(text):
            return Reading(_EXACT[word], 2, f"表头含“{word}”")
    for name, parts, reason in RULES:
        if any(part in text for part in parts):
            return Reading(name, 1 if name else 0, reason)
    return Reading(None, 0, "")


def _excluded(text: str) -> bool:
    """Headers that contain a known word yet are not that field (问题来源, 隐患等级)."""
    return any(part in text for part in RULES[0][1])


def field_for(value) -> Optional[str]:
    """The field a header cell names, or None."""
    return read_header(value).field


@dataclass
class Column:
    index: int
    header: str  # as written, blanks removed (涉及金额（万元）)
    field: Optional[str]  # None: kept as a note under its header
    reason: str
    key: str = ""  # as read (normalize_header): 涉及金额


@dataclass
class Header:
    row: int  # 0-based
    height: int  # 1 or 2 rows
    columns: dict[int, Column] = field(default_factory=dict)

    @property
    def by_field(self) -> dict[str, int]:
        return {c.field: c.index for c in self.columns.values() if c.field}

    @property
    def notes(self) -> list[Column]:
        return [c for c in self.columns.values() if c.field is None]


def _score(row, hidden) -> tuple[int, dict[int, Reading]]:
    readings = {}
    for index, value in enumerate(row):
        if index in hidden or value is None:
            continue
        text = str(value).strip()
        if len(normalize_header(text)) > HEADER_MAX * 2:
            return 0, {}  # long text: a data row or a title, not a header
        reading = read_header(value)
        if reading.field:
            readings[index] = reading
    fields = {r.field for r in readings.values()}
    if not fields & CORE or len(fields) < 2:
        return 0, {}
    best = {}
    for reading in readings.values():
        best[reading.field] = max(best.get(reading.field, 0), reading.strength)
    return sum(best.values()), readings


def find_header(rows, hidden: set[int], scan: int = SCAN) -> Optional[Header]:
    """The header: the best-scoring row among the first ``scan`` (the earliest of equals), with
    a second row below it when that row names fields its own columns lack (责任分工 over
    牵头领导 / 牵头单位 / 配合单位). Columns are then chosen by their cells (``choose``)."""
    best, best_score = None, 0
    for index, row in enumerate(rows[:scan]):
        score, readings = _score(row, hidden)
        if score > best_score:
            best, best_score = (index, readings), score
    if best is None:
        return None
    return _build(rows, *best, hidden)


def header_at(rows, index: int, hidden: set[int]) -> Header:
    """The header a user put at row ``index`` (0-based), each cell read for what it names."""
    readings = {}
    for c, value in enumerate(rows[index]):
        reading = read_header(value) if c not in hidden and value is not None else None
        if reading is not None and reading.field:
            readings[c] = reading
    return _build(rows, index, readings, hidden)


def _build(rows, index: int, readings: dict[int, Reading], hidden: set[int]) -> Header:
    top = rows[index]
    height = 1
    if index + 1 < len(rows):
        below = {}
        for c, value in enumerate(rows[index + 1]):
            if c in hidden or value is None or not str(value).strip() or (c < len(top) and value == top[c]):
                continue
            reading = read_header(value)
            if not reading.field or len(str(value).strip()) > HEADER_MAX:
                below = {}
                break
            below[c] = reading
        if below and any(r.strength >= 2 for r in below.values()):
            readings = {**readings, **below}
            height = 2
    header = Header(index, height)
    for c in range(max(len(r) for r in rows[index:index + height])):
        if c in hidden:
            continue
        lower = rows[index + height - 1]
        upper = _written(top[c]) if c < len(top) else ""
        text = _written(lower[c] if c < len(lower) and lower[c] is not None else (top[c] if c < len(top) else None))
        if height == 2 and upper and text and upper != text:
            text = f"{upper}/{text}"  # 责任分工/牵头单位
        reading = readings.get(c)
        key = normalize_header(lower[c] if c < len(lower) and lower[c] is not None else (top[c] if c < len(top) else None))
        if reading is not None:
            header.columns[c] = Column(c, text, reading.field, reading.reason, key)
        elif text:
            header.columns[c] = Column(c, text, None, "未识别的列名", key)
    return header


def apply_mapping(header: Header, chosen: dict[str, str]) -> list[Column]:
    """Put the user's fields (by header as read) over the importer's reading; returns the columns
    the user chose to leave out (``ignore``). A field the user gave a column is taken from any
    other column the importer had given it."""
    ignored, given = [], {}
    for column in list(header.columns.values()):
        name = chosen.get(column.key or normalize_header(column.header))
        if name is None:
            continue
        if name == "ignore":
            ignored.append(header.columns.pop(column.index))
        elif name == "note":
            column.field, column.reason = None, "按设置作为备注"
        else:
            column.field, column.reason = name, f"按设置：{LABELS.get(name, name)}"
            given.setdefault(name, column)
    for column in header.columns.values():
        owner = given.get(column.field)
        if owner is not None and owner is not column:
            column.field, column.reason = None, f"按设置，{LABELS.get(owner.field, owner.field)}取“{owner.header}”列"
    return ignored


def _written(value) -> str:
    return re.sub(r"\s+", "", str(value)) if value is not None else ""


def choose(header: Header, rows, hidden: set[int]) -> None:
    """Settle columns that claim the same field by what their cells hold (see the module's text)."""
    data = [row for row in rows[header.row + header.height:header.row + header.height + 300]]

    def cells(c):
        return [str(row[c]).strip() for row in data if c < len(row) and row[c] is not None and str(row[c]).strip()]

    claims: dict[str, list[Column]] = {}
    for column in header.columns.values():
        if column.field:
            claims.setdefault(column.field, []).append(column)
    for column in claims.get("problem", []):
        values = cells(column.index)
        if values and sum(bool(ORDINAL.match(normalize_header(v))) for v in values) >= 0.6 * len(values):
            if "number" not in claims:
                column.field, column.reason = "number", f"表头“{column.header}”，但内容是编号（如“{values[0]}”）"
                claims["number"] = [column]
            else:
                column.field, column.reason = None, f"表头“{column.header}”，但内容是编号"
    problems = [c for c in claims.get("problem", []) if c.field == "problem"]
    if len(problems) > 1:
        longest = max(problems, key=lambda c: (_mean_length(cells(c.index)), -c.index))
        for column in problems:
            if column is not longest:
                column.field, column.reason = None, f"另有“{longest.header}”列内容更像问题描述"
        longest.reason += "（几列都像问题时，取内容最长的一列）"
    if not claims.get("status"):  # a progress or unnamed column holding only status words is the status
        for column in claims.get("progress", [])[:1] + [c for c in header.columns.values() if c.field is None]:
            values = cells(column.index)
            if values and sum(status_for(v) is not None and len(v) <= 8 for v in values) >= 0.8 * len(values):
                column.field, column.reason = "status", f"表头“{column.header}”，内容是整改状态（如“{values[0]}”）"
                claims["status"] = [column]
                break
    deadlines = [c for c in claims.get("deadline", []) if c.field == "deadline"]
    if len(deadlines) > 1 and "completed" not in claims:
        for column in deadlines[1:]:
            if column.key in COMPLETION_HEADERS:
                column.field, column.reason = "completed", f"已有“{deadlines[0].header}”列，“{column.header}”是实际完成时间"
                break
    seen = set()
    for column in sorted(header.columns.values(), key=lambda c: c.index):
        if column.field is None or column.field == "note":
            continue
        if column.field in seen:
            first = next(c for c in header.columns.values() if c.field == column.field and c.index < column.index)
            column.field, column.reason = None, f"与“{first.header}”列同为{LABELS[column.field]}"
        else:
            seen.add(column.field)


def _mean_length(values: list[str]) -> float:
    return sum(map(len, values)) / len(values) if values else 0.0
