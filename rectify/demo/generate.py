"""Realistic large data sets for benchmarks and trials: ``flask --app app demo generate``.

Everything is inserted in bulk (SQLAlchemy's insertmanyvalues with RETURNING), so a hundred
thousand measures take seconds, not minutes. The same seed gives the same data.
"""
import random
from datetime import date, timedelta

import sqlalchemy as sa

from rectify.core.extensions import db
from rectify.core.timeutil import utcnow
from rectify.models import (
    Batch,
    Department,
    Measure,
    MeasureStatus,
    Person,
    Problem,
    ProgressUpdate,
    SourceKind,
    UpdateKind,
)
from rectify.tracking.models import measure_leaders, measure_owners, problem_leaders

UNITS = ["党政综合办公室", "组织人事部", "宣传统战部", "纪工委", "招商服务局", "经济发展局", "规划建设局",
         "财政局", "社会事务局", "安全生产监督管理局", "生态环境分局", "行政审批局", "综合执法局", "企业服务中心",
         "投资促进中心", "科技创新局", "人力资源服务中心", "党群服务中心", "信访办", "审计科"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建国红梅志斌海燕春雷晓东林波宁"
ASPECTS = ["党的领导方面", "党的建设方面", "全面从严治党方面", "意识形态方面", "作风建设方面", "选人用人方面"]
PROBLEMS = ["落实主体责任不到位，{unit}研究部署不够经常", "制度执行不严格，{unit}存在程序不规范问题",
            "台账资料不完整，{unit}工作留痕不够", "整改落实不彻底，{unit}问题反弹回潮", "监督检查不到位，{unit}发现问题不及时"]
MEASURES = ["制定专项整改方案，明确责任分工和时间节点", "开展专题学习研讨，形成学习记录", "建立健全工作台账，逐项对账销号",
            "修订完善相关制度，堵塞管理漏洞", "开展自查自纠，形成自查报告", "组织业务培训，提升工作能力"]
CHUNK = 5000
STATUS_WEIGHTS = [(MeasureStatus.NOT_STARTED, 25), (MeasureStatus.IN_PROGRESS, 40), (MeasureStatus.PENDING_REVIEW, 8),
                  (MeasureStatus.DONE, 22), (MeasureStatus.LONG_TERM, 5)]


def _insert(model_or_table, rows, returning=None):
    """Insert ``rows`` in chunks; return the new ids in order when ``returning`` is given.

    Core executemany on the table: the ORM's bulk path with RETURNING runs row by row."""
    model_or_table = getattr(model_or_table, "__table__", model_or_table)
    ids = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        if returning is None:
            db.session.execute(sa.insert(model_or_table), part)
        else:
            statement = sa.insert(model_or_table).returning(model_or_table.c[returning.key], sort_by_parameter_order=True)
            ids.extend(db.session.scalars(statement, part).all())
    return ids


def generate(problems: int, today: date, seed: int = 2023, measures_per_problem: int = 3) -> dict:
    """Add ``problems`` problems with their measures, people and progress; return the counts."""
    rng = random.Random(seed)
    now = utcnow()
    units = {d.name: d.id for d in db.session.scalars(sa.select(Department))}
    missing = [{"name": name, "created_at": now} for name in UNITS if name not in units]
    if missing:
        _insert(Department, missing)
        units = {d.name: d.id for d in db.session.scalars(sa.select(Department))}
    unit_ids = [units[name] for name in UNITS]
    people = _insert(Person, [
        {"name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]),
         "department_id": rng.choice(unit_ids), "created_at": now}
        for _ in range(max(20, problems // 100))
    ], returning=Person.id)
    kinds = list(SourceKind)
    batch_count = max(1, problems // 2000)
    batches = _insert(Batch, [
        {"kind": kinds[i % len(kinds)], "title": f"第{i + 1}批反馈问题整改（生成数据）", "issuer": "县委巡察组",
         "feedback_on": today - timedelta(days=rng.randint(30, 400)), "created_at": now}
        for i in range(batch_count)
    ], returning=Batch.id)
    unit_names = {v: k for k, v in units.items()}
    problem_rows = []
    per_batch = -(-problems // batch_count)
    for i in range(problems):
        unit = rng.choice(unit_ids)
        position = i // batch_count + 1
        problem_rows.append({
            "batch_id": batches[i % batch_count], "position": position, "number": str(position),
            # As feedback is written: each aspect's problems together, aspects in order.
            "aspect": ASPECTS[(position - 1) * len(ASPECTS) // per_batch], "lead_unit_id": unit,
            "description": rng.choice(PROBLEMS).format(unit=unit_names[unit]) + f"（第{i + 1}项）",
            "created_at": now, "updated_at": now,
        })
    problem_ids = _insert(Problem, problem_rows, returning=Problem.id)
    _insert(problem_leaders, [{"problem_id": pid, "person_id": rng.choice(people)} for pid in problem_ids])
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]
    measure_rows = []
    for pid, problem in zip(problem_ids, problem_rows):
        for position in range(1, measures_per_problem + 1):
            status = rng.choices(statuses, weights)[0]
            long_term = status is MeasureStatus.LONG_TERM or rng.random() < 0.05
            measure_rows.append({
                "problem_id": pid, "position": position, "text": rng.choice(MEASURES) + f"（措施{position}）",
                "lead_unit_id": problem["lead_unit_id"], "status": status, "is_long_term": long_term,
                "due_on": today + timedelta(days=rng.randint(-120, 240)),
                "completed_on": today - timedelta(days=rng.randint(1, 90)) if status is MeasureStatus.DONE else None,
                "acknowledged_at": None if status is MeasureStatus.NOT_STARTED and rng.random() < 0.5 else now,
                "assigned_at": now, "created_at": now, "updated_at": now, "version": 1,
                "is_immediate": False,
            })
    measure_ids = _insert(Measure, measure_rows, returning=Measure.id)
    owners = []
    for mid in measure_ids:
        for person in rng.sample(people, rng.choice([1, 1, 2])):
            owners.append({"measure_id": mid, "person_id": person})
    _insert(measure_owners, owners)
    _insert(measure_leaders, [{"measure_id": mid, "person_id": rng.choice(people)} for mid in measure_ids])
    updates = [
        {"measure_id": mid, "kind": UpdateKind.PROGRESS, "text": "按计划推进，已完成阶段性任务。", "created_at": now}
        for mid, row in zip(measure_ids, measure_rows) if row["status"] is not MeasureStatus.NOT_STARTED
    ]
    _insert(ProgressUpdate, updates)
    db.session.flush()
    # Fresh statistics, so the planner does not guess about tables that just grew a hundredfold.
    db.session.execute(sa.text("ANALYZE"))
    return {"batches": batch_count, "problems": problems, "measures": len(measure_ids), "people": len(people),
            "progress_updates": len(updates)}
