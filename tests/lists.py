"""The lists offices really receive, rebuilt from published material (tests/fixtures/lists/SOURCES.md).

Each builder returns the file's bytes; ``CORPUS`` names each with its file name, the feedback
date it is imported with, and what a user expects from it. The header words, merges, numbering
and deadline wording are those of the source; names of people are made up.
"""
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Optional

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from openpyxl import Workbook

from ledgers import save


def table(ws, rows, merges=(), hidden=()):
    for row in rows:
        ws.append(list(row))
    for merge in merges:
        ws.merge_cells(merge)
    for letter in hidden:
        ws.column_dimensions[letter].hidden = True


def county_xuncha_feedback() -> bytes:
    """县委巡察组反馈问题清单: 方面 → 问题; 整改措施 and 责任领导 left blank for the unit's 整改方案."""
    wb = Workbook()
    ws = wb.active
    ws.title = "反馈问题清单"
    table(ws, [
        ["县委第二巡察组反馈问题整改清单"],
        ["被巡察单位（盖章）：县农业农村局", None, None, None, None, None, None, "反馈时间：2023年4月12日"],
        ["序号", "问题类别", "存在问题", "整改措施", "责任领导", "责任单位", "整改时限", "整改进展"],
        ["一、贯彻落实党的路线方针政策和党中央决策部署方面"],
        ["1", "学习贯彻", "传达学习习近平总书记重要讲话精神不及时，“第一议题”制度落实不到位。", None, None, "局办公室", "立行立改，长期坚持", None],
        ["2", "乡村振兴", "衔接资金项目库建设滞后，部分项目入库论证不充分。", None, None, "乡村振兴股", "2023年6月底前", None],
        ["二、落实全面从严治党“两个责任”方面"],
        ["3", "主体责任", "党组研究党风廉政建设工作次数偏少，压力传导逐级递减。", None, None, "局办公室、机关党委", "2023年6月底前", None],
        ["4", "监督责任", "对二级单位财务监督检查不到位，个别项目资金拨付手续不全。", None, None, "计划财务股", "2023年9月30日", "已督促补齐手续。"],
        ["注：整改措施、责任领导由各责任单位在整改方案中细化。"],
    ], merges=["A1:H1", "A4:H4", "A7:H7", "A10:H10"])
    return save(wb)


def city_xuncha_ledger() -> bytes:
    """市委巡察整改台账: a two-row header (责任分工 over 分管领导 / 主办科室 / 协办科室), problems merged
    over their measures, 一是……二是…… in one cell, 办理期限 and 主办人 (江津区's words)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    table(ws, [
        ["市委第三巡察组反馈意见整改落实台账"],
        ["序号", "反馈问题", "整改措施", "责任分工", None, None, "主办人", "办理期限", "整改进展"],
        [None, None, None, "分管领导", "主办科室", "协办科室", None, None, None],
        ["1", "落实意识形态工作责任制有差距，阵地管理存在薄弱环节。",
         "一是每半年专题研究意识形态工作；二是建立宣传阵地台账，实行清单管理。", "陈志刚", "办公室", "宣传科", "刘洋",
         "2023年8月31日", "已召开专题会议1次。"],
        [None, None, "开展意识形态领域风险隐患排查。", "陈志刚", "办公室", None, "刘洋", "2023年9月30日", None],
        ["2", "“三重一大”事项集体决策执行不严格，个别事项先执行后补程序。",
         "修订“三重一大”决策制度实施细则，严格会前酝酿和会议记录。", "王海", "办公室", "纪检组", "张敏、李静",
         "2023.10.31", "整改中"],
    ], merges=["A1:I1", "D2:F2", "A2:A3", "B2:B3", "C2:C3", "G2:G3", "H2:H3", "I2:I3", "A4:A5", "B4:B5"])
    return save(wb)


def duchai_tongbao() -> bytes:
    """创文督查通报的问题清单: a section per 乡镇, 点位 and its problems numbered (1)(2)(3) in one cell."""
    wb = Workbook()
    ws = wb.active
    ws.title = "督查问题清单"
    table(ws, [
        ["V市全国文明城市建设工作督查发现问题清单（2022年·第9期）"],
        ["序号", "点位", "存在问题", "责任单位", "整改时限"],
        ["（一）鹿城镇（14个）"],
        ["1", "格林天城一号门外农业银行旁", "大门公益广告褪色破损。", "鹿城镇", "即日起10日内"],
        ["2", "百水巷桃源湖口的龙泉路税务小区", "住户乱拉广告横幅乱粘贴小广告。", "鹿城镇", "即日起10日内"],
        ["3", "丽景花园二期", "(1)小区内车辆乱停乱放;(2)小区内杂物、废弃物乱堆乱放;(3)无15分钟生活圈提示牌。",
         "鹿城镇、市住建局", "即日起10日内"],
        ["（二）V高新区（2个）"],
        ["4", "西客运站住宿区", "(1)小区内杂物乱堆乱放;(2)小区内车辆乱停乱放。", "V高新区", "3天"],
    ], merges=["A1:E1", "A3:E3", "A7:E7"])
    return save(wb)


def jiaoban_qingdan() -> bytes:
    """双创指挥部交办函的问题清单: 问题点位, 属地 and 主管单位 both named, relative deadlines."""
    wb = Workbook()
    ws = wb.active
    ws.title = "交办清单"
    table(ws, [
        ["区“双创”指挥部交办问题清单"],
        ["交办时间：8月4日", None, None, None, None, None, "联系人：区双创办"],
        ["序号", "问题点位", "存在问题", "属地", "主管单位", "整改时限", "整改情况"],
        [1, "东门路与赤壁大道交汇处", "占道经营，流动摊贩聚集。", "东湖街道", "区城管执法局", "3天", None],
        [2, "黄州大道农贸市场", "市场内生熟不分，地面污水横流。", "赤壁街道", "区市场监管局", "5个工作日", None],
        [3, "宝塔公园东门", "公厕保洁不到位，无洗手液。", "赤壁街道", "区住建局", "3天", None],
        [4, "西湖一路", "人行道破损，井盖缺失。", "西湖街道", "区住建局", "限期整改", None],
    ], merges=["A1:G1"])
    return save(wb)


def huitoukan_tongbao() -> bytes:
    """“回头看”通报: the problems first assigned, and what the follow-up found (已整改 / 未整改 / 整改不彻底)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "回头看"
    table(ws, [
        ["问题清单“回头看”情况通报"],
        ["序号", "点位", "8月4日交办问题", "回头看情况", "责任单位"],
        ["1", "东门路与赤壁大道交汇处", "占道经营，流动摊贩聚集。", "未整改", "东湖街道"],
        ["2", "黄州大道农贸市场", "市场内生熟不分，地面污水横流。", "整改不彻底", "赤壁街道"],
        ["3", "宝塔公园东门", "公厕保洁不到位，无洗手液。", "已整改", "赤壁街道"],
        ["4", "西湖一路", "人行道破损，井盖缺失。", "未整改", "西湖街道"],
    ], merges=["A1:E1"])
    return save(wb)


def audit_rectification() -> bytes:
    """审计查出问题整改清单: 审计发现问题, an amount, 整改要求, 整改期限; statuses 已整改 / 部分整改 / 持续整改."""
    wb = Workbook()
    ws = wb.active
    ws.title = "审计整改清单"
    table(ws, [
        ["2020年度市本级预算执行和其他财政收支审计查出问题整改清单"],
        ["序号", "审计发现问题", "涉及金额（万元）", "整改要求", "整改期限", "整改责任单位", "整改情况"],
        ["一、财政部门预算执行问题"],
        ["1", "部分非税收入未及时缴入国库。", 1580, "及时足额缴入国库。", "2021年12月31日", "市财政局", "已整改"],
        ["2", "存量资金未及时统筹盘活。", 35435.7, "统筹盘活存量资金，提高资金使用效益。", "2022年6月30日", "市财政局", "部分整改"],
        ["二、部门预算执行问题"],
        ["3", "个别单位超范围发放津补贴。", 12.36, "清退违规发放的津补贴，建立长效机制。", "30日内", "市文广新旅局", "持续整改"],
    ], merges=["A1:G1", "A3:G3", "A6:G6"])
    return save(wb)


def hazard_ledger() -> bytes:
    """隐患排查治理台账: 隐患部位, 隐患内容, 隐患等级; 整改措施 and 责任人 empty (the enterprise fills them in)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "隐患台账"
    table(ws, [
        ["安全生产隐患排查治理台账"],
        ["隐患编号", "排查时间", "隐患部位", "隐患内容", "隐患等级", "整改措施", "责任部门", "责任人", "完成时限", "验收情况"],
        ["YH-001", date(2023, 5, 8), "车间A区", "配电箱线路老化，存在触电风险。", "一般", None, "设备科", None, "3日内", None],
        ["YH-002", date(2023, 5, 8), "仓库", "消防通道堵塞，灭火器过期。", "一般", None, "安全科", None, "5日内", None],
        ["YH-003", date(2023, 5, 9), "反应釜区", "反应釜泄漏报警装置失灵。", "重大", None, "生产部", None, "30日内", None],
    ], merges=["A1:J1"])
    return save(wb)


def hazards_with_supervision() -> bytes:
    """问题及隐患清单: 主体责任 (the unit) beside 监督责任 (the supervising department), 限期整改."""
    wb = Workbook()
    ws = wb.active
    ws.title = "问题隐患清单"
    table(ws, [
        ["重大安全隐患挂牌督办清单"],
        ["序号", "问题及隐患", "整改要求", "主体责任", "监督责任", "整改期限"],
        ["1", "城区燃气管道占压，存在泄漏风险。", "拆除占压建筑，加装泄漏报警装置。", "县燃气公司", "县住建局", "2023年10月31日前"],
        ["2", "石材加工厂粉尘涉爆场所除尘系统不符合要求。", "停产整改，按标准改造除尘系统。", "某石材加工厂", "县应急管理局", "限期整改"],
        ["3", "自建房改作经营场所，未经安全鉴定。", "开展安全鉴定，鉴定前停止经营。", "城关镇人民政府", "县住建局、县市场监管局", "一个月内"],
    ], merges=["A1:F1"])
    return save(wb)


def hospital_xuncha() -> bytes:
    """医院巡察反馈整改情况: 责任科室, statuses and progress that says it is done (该问题已完成整改。)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "整改情况"
    table(ws, [
        ["县人民医院落实县委巡察反馈意见整改情况表"],
        ["序号", "巡察反馈问题", "整改措施", "责任科室", "责任人", "完成时限", "完成情况"],
        ["1", "药品耗材采购监管不严，部分耗材未经院务会研究。", "1.修订药品耗材采购管理办法；2.重大采购一律提交院务会研究。",
         "药剂科、采购办", "赵立新", "2023年7月31日", "该问题已完成整改。"],
        ["2", "医疗服务价格执行不规范，存在重复收费。", "开展收费自查，清退重复收费。", "财务科", "孙倩", "2023年9月底",
         "未整改到位，预计10月底整改到位。"],
        ["3", "医德医风建设不到位，收受“红包”问题时有发生。", "签订医德医风承诺书，畅通举报渠道。", "党委办公室", "周文", "长期坚持",
         "持续推进"],
    ], merges=["A1:G1"])
    return save(wb)


def soe_xuncha() -> bytes:
    """国企集团党委巡察反馈: “四个落实” sections, 问题类型 and an 整改意见建议 beside the measures, 完成状态."""
    wb = Workbook()
    ws = wb.active
    ws.title = "巡察整改台账"
    table(ws, [
        ["集团党委第七轮巡察反馈问题整改台账"],
        ["序号", "问题类型", "巡察发现问题", "整改意见建议", "整改措施", "牵头部门", "责任人", "计划完成时间", "完成状态"],
        ["一、落实党的路线方针政策和重大决策部署方面"],
        ["1", "战略执行", "发展战略规划执行不到位，主业聚焦不够。", "对照集团战略规划开展中期评估。", "开展战略规划中期评估，调整投资计划。",
         "战略发展部", "何建", "2023年12月", "整改中"],
        ["二、落实全面从严治党战略部署方面"],
        ["2", "廉洁风险", "招投标管理存在漏洞，个别项目化整为零规避招标。", "规范招投标管理。", None,
         "审计法务部", "高原", "2023年11月30日", "未启动"],
    ], merges=["A1:I1", "A3:I3", "A5:I5"])
    return save(wb)


def spot_checks() -> bytes:
    """点位督查问题清单: a column headed 问题 holding 问题一, 问题二; the problems are in 问题描述."""
    wb = Workbook()
    ws = wb.active
    ws.title = "点位督查"
    table(ws, [
        ["问题", "测评点位", "问题描述", "责任单位", "整改时限"],
        ["问题一", "潇湘街道便民服务大厅", "新时代文明实践站公益广告掉色，志愿服务台账不全。", "潇湘街道", "立行立改"],
        ["问题二", "人民路农贸市场", "门口通道两侧垃圾堆放，建筑材料未分区摆放。", "市场服务中心", "限期整改"],
        ["问题三", "解放路主干道", "非机动车停车位未划线，路面破损。", "区住建局", "一周内"],
    ])
    return save(wb)


def environment_followup() -> bytes:
    """大气污染防治巡查“回头看”: 督察发现问题, 处理意见, statuses 已办结 / 整改不彻底 / 逾期未整改."""
    wb = Workbook()
    ws = wb.active
    ws.title = "回头看问题"
    table(ws, [
        ["秋冬季大气污染防治专项执法巡查反馈问题“回头看”台账"],
        ["序号", "交办时间", "点位", "督察发现问题", "处理意见", "责任单位", "整改时限", "整改状态"],
        ["1", "2017年12月5日", "沣东新城某搅拌站", "物料露天堆放，未覆盖。", "立即覆盖，罚款处理。", "沣东新城管委会", "即知即改", "已办结"],
        ["2", "2017年12月5日", "秦汉新城某建筑工地", "出入口未设置车辆冲洗设施。", "限期安装冲洗设施。", "秦汉新城管委会", "2017年12月20日",
         "整改不彻底"],
        ["3", "2017年12月6日", "空港新城某砖厂", "脱硫设施未正常运行。", "停产整治。", "空港新城管委会", "2017年12月31日", "逾期未整改"],
    ], merges=["A1:H1"])
    return save(wb)


def audit_problem_lists() -> bytes:
    """审计整改“问题清单”, one sheet per kind of finding, an instructions sheet first, measures
    numbered （一）（二） on separate lines, 长期坚持 and month-precision deadlines."""
    wb = Workbook()
    notes = wb.active
    notes.title = "填报说明"
    notes.append(["1. 本表按审计工作报告反映问题逐项填报。"])
    notes.append(["2. 整改时限可填“长期坚持”。"])
    first = wb.create_sheet("财政管理")
    table(first, [
        ["序号", "问题描述", "整改措施", "责任单位", "整改时限", "整改状态"],
        ["1", "预算编制不够精准，年初预算调整幅度较大。", "（一）完善预算编制办法\n（二）加强预算执行监控", "市财政局", "2022年12月底", "已完成"],
        ["2", "政府采购意向公开不及时。", "督促预算单位按时公开采购意向。", "市财政局", "长期坚持", "持续整改"],
    ])
    second = wb.create_sheet("国有资产")
    table(second, [
        ["序号", "问题描述", "整改措施", "责任单位", "整改时限", "整改状态"],
        ["1", "部分行政事业单位资产闲置未盘活。", "清查闲置资产，统一调剂使用。", "市机关事务管理局", "2023年6月", "整改中"],
    ])
    return save(wb)


def _cell_paragraphs(cell, lines, numbered=False):
    cell.text = ""
    first = cell.paragraphs[0]
    for index, line in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()
        paragraph.add_run(line)
        if numbered:  # Word's automatic numbering: the numbers are not in the text
            pPr = paragraph._p.get_or_add_pPr()
            numPr = OxmlElement("w:numPr")
            for tag, value in (("w:ilvl", "0"), ("w:numId", "1")):
                element = OxmlElement(tag)
                element.set(qn("w:val"), value)
                numPr.append(element)
            pPr.append(numPr)


def _docx(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def audit_notice_docx() -> bytes:
    """审计整改通知书 (.docx): paragraphs, then the table of 审计发现的主要问题 / 整改要求 / 整改期限."""
    document = docx.Document()
    document.add_paragraph("关于县教育局审计整改的通知")
    document.add_paragraph("县教育局：根据审计报告，现将审计发现的主要问题及整改要求通知如下，请于规定期限内整改并报送整改情况。")
    rows = [("序号", "审计发现的主要问题", "整改要求", "整改期限"),
            ("1", "学生资助资金发放不及时，滞留资金45.6万元。", "立即发放滞留资金，建立资助资金发放台账。", "30日内"),
            ("2", "部分学校食堂账务未纳入单位统一核算。", "将食堂账务纳入统一核算。", "即日起15日内"),
            ("3", "校舍维修工程未按规定进行结算审计。", "补办结算审计手续。", "2024年3月31日前")]
    grid = document.add_table(rows=len(rows), cols=4)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            grid.cell(r, c).text = value
    document.add_paragraph("县审计局　2024年1月5日")
    return _docx(document)


def school_rectification_docx() -> bytes:
    """学校义务教育均衡发展问题整改表 (.docx): 总务处 for every problem, 2018年7月低 as written (sic)."""
    document = docx.Document()
    document.add_paragraph("商州区大荆中学关于义务教育均衡发展存在问题整改报告")
    rows = [("序号", "存在问题", "整改措施", "责任部门", "整改时限"),
            ("1", "教室照明光线不够充足。", "总务处组织人力立即加装灯管或更换棒管，提升照明质量。", "总务处", "2018年7月低完成整改"),
            ("2", "体育场地和设施设备正在建设筹备中，体育活动不能正常开展。", "1.督促施工单位加快工程进度；2.提早考察设施设备。", "总务处",
             "2018年9月低"),
            ("3", "旱厕蹲位少，卫生条件差。", "做好旧厕改造，筹备新建一座水冲式厕所。", "总务处", "2018年10月低"),
            ("4", "学校浴池淋浴设施少，设备简陋。", "加紧进行浴池改造，增加淋浴设施设备。", "总务处", "2018年8月低")]
    grid = document.add_table(rows=len(rows), cols=5)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            grid.cell(r, c).text = value
    return _docx(document)


def task_breakdown_docx() -> bytes:
    """整改方案的任务分解表 (.docx): section rows across the table, measures in Word's own numbering,
    a problem merged down over two rows, and the table continued on the next page without its header."""
    document = docx.Document()
    document.add_paragraph("总院公司党委落实集团公司党委巡察反馈意见整改方案")
    document.add_paragraph("附件：整改任务分解表")
    first = document.add_table(rows=5, cols=6)
    header = ("序号", "整改任务", "整改措施", "牵头领导", "责任部门", "完成时限")
    for c, value in enumerate(header):
        first.cell(0, c).text = value
    section = first.cell(1, 0).merge(first.cell(1, 5))
    section.text = "一、党的领导弱化方面"
    first.cell(2, 0).text = "1"
    first.cell(2, 1).text = "党委前置研究讨论重大经营管理事项清单不完善。"
    _cell_paragraphs(first.cell(2, 2), ["修订党委前置研究事项清单", "报集团公司党委备案"], numbered=True)
    first.cell(2, 3).text = "李书记"
    first.cell(2, 4).text = "党委办公室"
    first.cell(2, 5).text = "2022年3月底前"
    first.cell(3, 2).text = "对2021年以来决策事项开展“回头看”。"
    first.cell(3, 3).text = "李书记"
    first.cell(3, 4).text = "党委办公室"
    first.cell(3, 5).text = "2022年4月30日"
    first.cell(2, 0).merge(first.cell(3, 0))
    first.cell(2, 1).merge(first.cell(3, 1))
    section = first.cell(4, 0).merge(first.cell(4, 5))
    section.text = "二、全面从严治党方面"
    document.add_paragraph("（续表）")
    second = document.add_table(rows=1, cols=6)
    for c, value in enumerate(("2", "经济责任审计反馈问题整改不彻底。", "逐项对账销号，建立整改台账。", "王总", "审计部",
                               "立行立改")):
        second.cell(0, c).text = value
    return _docx(document)


@dataclass
class Expected:
    problems: int
    measures: int
    itself: int  # measures that are the problem itself
    deadlines: dict = field(default_factory=dict)  # measure text (start) → due_on or None
    units: dict = field(default_factory=dict)  # problem text (start) → lead unit
    statuses: dict = field(default_factory=dict)  # measure text (start) → status label
    locations: dict = field(default_factory=dict)  # problem text (start) → location
    unmapped: tuple = ()
    warnings: tuple = ()  # words that some warning says


@dataclass
class Fixture:
    name: str
    filename: str
    build: Callable[[], bytes]
    feedback_on: Optional[date]
    expected: Expected
    convert: Optional[str] = None  # saved again by LibreOffice as this format


CORPUS = [
    Fixture("县委巡察反馈问题清单", "巡察反馈问题清单.xlsx", county_xuncha_feedback, date(2023, 4, 12), Expected(
        4, 4, 4, deadlines={"传达学习": None, "衔接资金": date(2023, 6, 30), "对二级单位": date(2023, 9, 30)},
        units={"传达学习": "局办公室", "党组研究": "局办公室"}, statuses={"对二级单位": "未启动"},
        warnings=("注：整改措施", "待细化"))),
    Fixture("市委巡察整改台账（.xls）", "巡察整改台账.xls", city_xuncha_ledger, date(2023, 6, 1), Expected(
        2, 4, 0, deadlines={"每半年": date(2023, 8, 31), "建立宣传": date(2023, 8, 31), "开展意识形态": date(2023, 9, 30),
                            "修订": date(2023, 10, 31)},
        units={"落实意识形态": "办公室"}, statuses={"修订": "整改中"}), convert="xls"),
    Fixture("创文督查通报问题清单", "督查通报.xlsx", duchai_tongbao, date(2022, 10, 10), Expected(
        4, 4, 4, deadlines={"大门公益": date(2022, 10, 20), "(1)小区内杂物": date(2022, 10, 13)},
        units={"(1)小区内车辆": "鹿城镇", "(1)小区内杂物": "V高新区"}, locations={"大门公益": "格林天城一号门外农业银行旁"},
        warnings=("即日起10日内", "推算为 2022年10月20日"))),
    Fixture("双创交办清单", "交办清单.xlsx", jiaoban_qingdan, date(2020, 8, 4), Expected(
        4, 4, 4, deadlines={"占道经营": date(2020, 8, 7), "市场内": date(2020, 8, 11), "人行道": None},
        units={"占道经营": "东湖街道"}, locations={"公厕": "宝塔公园东门"}, unmapped=("主管单位",),
        warnings=("“主管单位”", "5个工作日"))),
    Fixture("双创问题清单回头看", "回头看通报.xlsx", huitoukan_tongbao, date(2020, 9, 25), Expected(
        4, 4, 4, statuses={"占道经营": "未启动", "市场内": "整改中", "公厕": "已完成"}, units={"市场内": "赤壁街道"},
        locations={"人行道": "西湖一路"})),
    Fixture("审计查出问题整改清单", "审计整改清单.xlsx", audit_rectification, date(2021, 9, 15), Expected(
        3, 3, 3, deadlines={"及时足额": date(2021, 12, 31), "清退": date(2021, 10, 15)},
        statuses={"及时足额": "已完成", "统筹盘活": "整改中", "清退": "长期坚持"}, units={"个别单位": "市文广新旅局"},
        unmapped=("涉及金额",))),
    Fixture("审计整改通知书（Word）", "审计整改通知.docx", audit_notice_docx, date(2024, 1, 5), Expected(
        3, 3, 3, deadlines={"立即发放": date(2024, 2, 4), "将食堂": date(2024, 1, 20), "补办": date(2024, 3, 31)},
        warnings=("1 个表格",))),
    Fixture("隐患排查治理台账", "隐患台账.xlsx", hazard_ledger, date(2023, 5, 9), Expected(
        3, 3, 3, deadlines={"配电箱": date(2023, 5, 12), "消防通道": date(2023, 5, 14), "反应釜": date(2023, 6, 8)},
        units={"配电箱": "设备科"}, locations={"配电箱": "车间A区"}, unmapped=("排查时间", "隐患等级"))),
    Fixture("问题及隐患挂牌督办清单", "问题隐患清单.xlsx", hazards_with_supervision, date(2023, 9, 1), Expected(
        3, 3, 3, deadlines={"拆除": date(2023, 10, 31), "停产整改": None, "开展安全鉴定": date(2023, 10, 1)},
        units={"城区燃气": "县燃气公司", "自建房": "城关镇人民政府"})),
    Fixture("县医院巡察整改情况表", "医院整改情况.xlsx", hospital_xuncha, date(2023, 5, 1), Expected(
        3, 4, 0, deadlines={"修订药品": date(2023, 7, 31), "开展收费": date(2023, 9, 30), "签订": None},
        statuses={"修订药品": "已完成", "开展收费": "整改中", "签订": "整改中"}, units={"药品耗材": "药剂科"},
        warnings=("写明了整改状态",))),
    Fixture("国企巡察整改台账", "国企巡察台账.xlsx", soe_xuncha, date(2023, 9, 2), Expected(
        2, 2, 1, deadlines={"开展战略": date(2023, 12, 31), "规范招投标": date(2023, 11, 30)},
        statuses={"开展战略": "整改中", "规范招投标": "未启动"}, units={"招投标": "审计法务部"})),
    Fixture("点位督查问题清单", "点位督查.xlsx", spot_checks, date(2023, 3, 9), Expected(
        3, 3, 3, deadlines={"新时代": None, "非机动车": date(2023, 3, 16)}, locations={"门口通道": "人民路农贸市场"})),
    Fixture("大气污染防治回头看台账（.xls）", "回头看台账.xls", environment_followup, date(2017, 12, 5), Expected(
        3, 3, 3, deadlines={"立即覆盖": None, "限期安装": date(2017, 12, 20)},
        statuses={"立即覆盖": "已完成", "限期安装": "整改中", "停产整治": "未启动"}, unmapped=("交办时间",)),
        convert="xls"),
    Fixture("审计整改问题清单（分表）", "审计问题清单.xlsx", audit_problem_lists, date(2022, 9, 1), Expected(
        3, 4, 0, deadlines={"完善预算": date(2022, 12, 31), "督促": None, "清查": date(2023, 6, 30)},
        statuses={"完善预算": "已完成", "督促": "长期坚持", "清查": "整改中"}, units={"部分行政": "市机关事务管理局"},
        warnings=("填报说明",))),
    Fixture("学校均衡发展问题整改表（Word）", "学校整改报告.docx", school_rectification_docx, date(2018, 6, 15), Expected(
        4, 5, 0, deadlines={"总务处组织": date(2018, 7, 31), "督促施工": date(2018, 9, 30), "加紧": date(2018, 8, 31)},
        units={"旱厕": "总务处"})),
    Fixture("整改方案任务分解表（Word）", "整改方案.docx", task_breakdown_docx, date(2022, 1, 20), Expected(
        2, 4, 0, deadlines={"修订党委": date(2022, 3, 31), "报集团": date(2022, 3, 31), "对2021年": date(2022, 4, 30),
                            "逐项对账": None},
        units={"经济责任": "审计部"}, warnings=("2 个表格", "按上一个表格"))),
]
