"""The OpenAPI 3 description of /api/v1, built from one table; a test checks every route is in it.

It says what a request must hold to be accepted as far as a schema can: required fields,
texts that may not be blank, the filters' values. What depends on the data (a measure's
state, a file's content, a date after the deadline) is answered 400, 409 or 422 as listed.
"""
from rectify.core.numbers import DATABASE_MAX, MAX_PAGE
from rectify.models import MeasureStatus, SourceKind, Warning
from rectify.tracking.workflow import RULES

ACTIONS = sorted({*RULES, "restore"})
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}
MEASURE = {"type": "object", "required": ["id", "problem_id", "version", "text", "status", "warning"], "properties": {
    "id": {"type": "integer"}, "problem_id": {"type": "integer"}, "version": {"type": "integer"},
    "text": {"type": "string"}, "goal": {"type": ["string", "null"]}, "status": {"type": "string",
    "enum": ["not_started", "in_progress", "pending_review", "done", "long_term"]},
    "status_label": {"type": "string"}, "warning": {"type": "string", "enum": ["red", "yellow", "green", "grey"]},
    "due_on": {"type": ["string", "null"], "format": "date"}, "original_due_on": {"type": ["string", "null"]},
    "deadline": {"type": "string"}, "is_immediate": {"type": "boolean"}, "is_long_term": {"type": "boolean"},
    "lead_unit": {"type": ["string", "null"]}, "owners": {"type": "array", "items": {"type": "string"}},
    "leaders": {"type": "array", "items": {"type": "string"}}, "acknowledged": {"type": "boolean"},
    "completed_on": {"type": ["string", "null"]},
    "actions": {"type": "array", "items": {"type": "string", "enum": [*ACTIONS]},
                "description": "令牌所属用户现在可对该措施进行的操作（与页面上的按钮相同）"}}}
_COUNT = {"type": "integer", "minimum": 0}
FIGURES = {"type": "object", "description": "按问题、再按措施的统计（与工作台相同）", "required": [
    "problems", "problems_closed", "problems_in_progress", "problems_not_started", "problem_rate", "measures"],
    "properties": {
        "problems": {**_COUNT, "description": "问题数（有措施的问题）"},
        "problems_closed": {**_COUNT, "description": "已整改到位"}, "problems_in_progress": {**_COUNT, "description": "正在整改"},
        "problems_not_started": {**_COUNT, "description": "未启动"},
        "problems_overdue": {**_COUNT, "description": "有逾期措施的问题"},
        "problem_rate": {"type": "number", "description": "问题整改完成率（%）"},
        "measures": _COUNT, "measures_by_status": {"type": "object", "properties": {
            s.value: _COUNT for s in MeasureStatus}},
        "measures_finished": {**_COUNT, "description": "已完成和长期坚持"}, "measures_overdue": _COUNT,
        "measures_extended": {**_COUNT, "description": "经批准延期"},
        "measure_rate": {"type": "number", "description": "措施完成率（%）"}}}
VERSION = {"version": {"type": ["integer", "null"], "description": "措施版本号（也可用 If-Match 头）；与当前版本不符时返回 409"}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = {"type": "string", "pattern": "[^\\s\\u0000]", "description": "不能为空"}  # NUL characters are dropped
# A filter left empty is no filter, as the board's form sends it.
ID = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": DATABASE_MAX}, {"type": "string", "maxLength": 0}]}


def _choice(enum_class):
    return {"type": "string", "enum": ["", *(member.value for member in enum_class)]}


def _filter(name, schema, text):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": text}


FILTERS = [
    _filter("batch", ID, "批次编号"),
    _filter("kind", _choice(SourceKind), "来源"),
    _filter("unit", ID, "责任单位编号"),
    _filter("leader", {"type": "string"}, "责任领导姓名"),
    _filter("person", {"type": "string"}, "责任人姓名"),
    _filter("status", _choice(MeasureStatus), "状态"),
    _filter("colour", _choice(Warning), "预警颜色"),
    _filter("overdue", {"type": "string"}, "仅逾期（1）"),
    _filter("q", {"type": "string"}, "关键词"),
    _filter("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "页码"),
]


def _measure_id():
    return [{"name": "measure_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def _problem_id():
    return [{"name": "problem_id", "in": "path", "required": True, "schema": {"type": "integer"}}]


def _nullable(schema):
    """An optional field may be sent as null: it means the same as leaving it out."""
    kind = schema["type"]
    return schema if isinstance(kind, list) else {**schema, "type": [kind, "null"]}


def _write(summary, fields, required=()):
    properties = {name: field if name in required else _nullable(field) for name, field in fields.items()}
    body = {"type": "object", "additionalProperties": False, "properties": {**properties, **VERSION}}
    if required:
        body["required"] = list(required)
    return {"post": {"summary": summary, "parameters": _measure_id(),
                     "requestBody": {"required": bool(required), "content": {"application/json": {"schema": body}}},
                     "responses": _responses(MEASURE)}}


def _responses(schema):
    out = {"200": {"description": "成功", "content": {"application/json": {"schema": schema}}}}
    for code in ("400", "401", "403", "404", "409"):
        out[code] = {"description": "错误", "content": {"application/json": {"schema": ERROR}}}
    return out


EVIDENCE_UPLOAD = {"post": {"summary": "上传佐证材料（multipart 字段 files，可多个）",
        "parameters": _measure_id(), "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"], "properties": {"files": {
                "type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"}}}}}}},
        "responses": _responses({"type": "object"})}}
PATHS = {
    "/me": {"get": {"summary": "当前用户", "responses": _responses({"type": "object"})}},
    "/batches": {"get": {"summary": "整改批次及其统计", "responses": _responses({"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object", "required": ["id", "title", "figures"],
                                             "properties": {"figures": FIGURES}}}}})}},
    "/measures": {"get": {"summary": "整改措施（与看板相同的筛选）", "parameters": FILTERS,
                          "responses": _responses({"type": "object", "properties": {
                              "total": {"type": "integer"}, "items": {"type": "array", "items": MEASURE}}})}},
    "/measures/{measure_id}": {"get": {"summary": "一项整改措施", "parameters": _measure_id(),
                                       "responses": _responses(MEASURE)}},
    "/problems": {"get": {"summary": "问题（有符合筛选条件的措施的问题）", "parameters": FILTERS,
                          "responses": _responses({"type": "object", "properties": {
                              "total": {"type": "integer"}, "items": {"type": "array", "items": {"type": "object"}},
                              "summary": FIGURES}})}},
    "/problems/{problem_id}": {"get": {"summary": "问题及其措施", "parameters": [
        {"name": "problem_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": _responses({"type": "object"})}},
    "/measures/{measure_id}/acknowledge": _write("签收", {}),
    "/measures/{measure_id}/progress": _write("填报进展", {"text": TEXT}, required=["text"]),
    "/measures/{measure_id}/submit": _write("申请销号（须已有佐证材料）", {"note": TEXT}, required=["note"]),
    "/measures/{measure_id}/approve": _write("销号或阶段性完成（督办员）",
                                             {"long_term": {"type": "boolean"}, "note": {"type": "string"}}),
    "/measures/{measure_id}/return": _write("退回（督办员）", {"reason": TEXT}, required=["reason"]),
    "/measures/{measure_id}/extension": {"post": {"summary": "申请延期", "parameters": _measure_id(),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["until", "reason"],
            "properties": {"until": {"type": "string", "format": "date", "description": "须晚于现有整改时限和今天"},
                           "reason": TEXT}}}}},
        "responses": _responses({"type": "object"})}},
    "/extensions/{request_id}/decision": {"post": {"summary": "审批延期（督办员）", "parameters": [
        {"name": "request_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["approve"],
            "properties": {"approve": {"type": "boolean"},
                           "reason": {"type": ["string", "null"], "description": "不同意时必填"}},
            "if": {"properties": {"approve": {"const": False}}},
            "then": {"required": ["reason"], "properties": {"reason": TEXT}}}}}},
        "responses": _responses({"type": "object"})}},
    "/imports": {"post": {"summary": "导入问题清单（督办员；与命令行相同的报告，有错误时 422）",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary", "description": ".xlsx、.xls 或 .ods 工作簿"},
                "batch": {"type": "string"}, "kind": {"type": "string", "enum": [k.label for k in SourceKind]},
                "feedback_date": {"type": "string", "format": "date"}, "dry_run": {"type": "boolean"},
                "on_conflict": {"type": "string", "enum": ["keep", "sheet"],
                                "description": "再次导入时系统中已修改过的字段：keep 保留（默认），sheet 采用表中的值"},
                "include_finished": {"type": "boolean", "description": "也更新已完成、待审核的措施"},
                "delete_missing": {"type": "boolean", "description": "删除批次中表里已没有的措施（可恢复）"}}}}}},
        "responses": {**_responses({"type": "object"}), "422": {"description": "文件有错误，未导入",
                                                                "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/ledger.xlsx": {"get": {"summary": "整改台账（与看板相同的筛选）", "parameters": FILTERS[:-1],
        "responses": {"200": {"description": "xlsx 文件", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}},
                      "400": _responses({})["400"], "401": _responses({})["401"]}}},
    "/notifications": {"get": {"summary": "站内通知（不会因此标为已读）", "responses": _responses({"type": "object"})}},
    "/notifications/read": {"post": {"summary": "标为已读：ids（通知编号）或 all", "requestBody": {
        "required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "properties": {
                "ids": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": DATABASE_MAX}},
                "all": {"type": "boolean"}},
            "anyOf": [{"required": ["ids"]}, {"required": ["all"], "properties": {"all": {"const": True}}}]}}}},
        "responses": _responses({"type": "object", "required": ["marked"], "properties": {"marked": {"type": "integer"}}})}},
    "/measures/{measure_id}/history": {"get": {"summary": "措施的进展、审核和延期记录（按时间）",
        "parameters": _measure_id(), "responses": _responses({"type": "object", "required": ["items"]})}},
    "/measures/{measure_id}/evidence": {"get": {"summary": "措施的佐证材料（名称、大小、SHA-256、上传人、时间、下载地址）",
        "parameters": _measure_id(), "responses": _responses({"type": "object", "required": ["items"]})},
        **EVIDENCE_UPLOAD},
    "/evidence/{evidence_id}": {"get": {"summary": "下载一份佐证材料", "parameters": [
        {"name": "evidence_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "文件", "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}, **{c: v for c, v in _responses({}).items() if c != "200"}}}},
    "/problems/{problem_id}/plan": {"post": {"summary": "提交或保存整改方案（责任单位；submit 为 false 时保存草稿）",
        "parameters": _problem_id(), "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["measures"], "properties": {
                "measures": {"type": "array", "minItems": 1, "maxItems": 50, "items": {
                    "type": "object", "additionalProperties": False, "required": ["text"], "properties": {
                        "text": TEXT, "deadline": {"type": "string", "maxLength": 100}, "people": {"type": "string"},
                        "unit": {"type": "string"}, "cooperating": {"type": "string"}}}},
                "submit": {"type": "boolean"}}}}}},
        "responses": _responses({"type": "object"})}},
    "/problems/{problem_id}/plan/approve": {"post": {"summary": "整改方案审核通过（督办员）", "parameters": _problem_id(),
        "responses": _responses({"type": "object"})}},
    "/problems/{problem_id}/plan/return": {"post": {"summary": "退回整改方案（督办员）", "parameters": _problem_id(),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["reason"], "properties": {"reason": TEXT}}}}},
        "responses": _responses({"type": "object"})}},
    "/problems/{problem_id}/audit": {"get": {"summary": "问题的修改记录", "parameters": [
        {"name": "problem_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": _responses({"type": "object", "required": ["items"]})}},
    "/openapi.json": {"get": {"summary": "本说明", "security": [], "responses": {"200": {"description": "OpenAPI 文档"}}}},
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "整改台账系统 API", "version": "1.0",
                 "description": "个人访问令牌：Authorization: Bearer <令牌>。错误：{\"error\": {\"code\", \"message\"}}。"},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": PATHS,
    }
