"""The planners' workbook (工作簿): its sheets and columns, in one table read by the writer, the
reader and the explanation sheet.

Each column has a fixed English key (the schema's field name, which the reader accepts as a
header too), a Chinese header with its unit, a kind (how a cell is read and written) and the
factor from the scenario's unit to the workbook's: money is 万元 in a scenario file and 元 in
the workbook (x 10,000); rent is 万元/m2/年 in a scenario and 元/m2/月 in the workbook
(x 10,000 / 12). `to_sheet` converts one way and `from_sheet` the other, choosing the shortest
decimal that converts back to the number in the cell, so that 0.035 万元/m2/年, written as
29.1666...元/m2/月, is read back as 0.035.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from allocator.labels import OPTION_KIND_ZH, STAFF_KIND_ZH
from allocator.scenario.schema import OPTION_KINDS, ObjectiveMeasure
from allocator.scenario.staffing import PAID_STAFF_KINDS

FORMAT_NAME = "allocator-workbook"
FORMAT_VERSION = 2  # 2: staff and years (设置, 年度预算, 人员配备 and their columns)
READABLE_VERSIONS = (1, 2)  # a workbook of version 1 has none of them and reads as it did
EXAMPLE = "示例"  # a row whose first cell says this is an example: the reader skips it

YUAN = 10_000.0  # 元 per 万元
YUAN_PER_MONTH = 10_000.0 / 12.0  # 元/m2/月 per 万元/m2/年


def to_sheet(value: float, factor: float) -> float:
    """A scenario amount (万元, 万元/m2/年, m2) as the workbook shows it (元, 元/m2/月, m2)."""
    return value if factor == 1.0 else value * factor


def from_sheet(cell: float, factor: float) -> float:
    """A workbook amount back in the scenario's unit: the shortest decimal whose `to_sheet` is
    the number in the cell, or is that number once rounded to 15 or 16 significant digits (as
    Excel shows numbers, and as XlsxWriter, WPS and others save them): 13.41666666666667 is
    0.0161 万元/m2/年 (13.416666666666668), 1345.3 is 0.13453 万元 (1345.3000000000002)."""
    if factor == 1.0 or cell == 0:
        return cell
    raw = cell / factor
    for digits in range(1, 18):
        candidate = float(f"{raw:.{digits}g}")
        forward = to_sheet(candidate, factor)
        if forward == cell or cell in (float(f"{forward:.15g}"), float(f"{forward:.16g}")):
            return candidate
    return raw


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    kind: text, id, number, int, bool, a labels table (option_kind, group_kind, scope, locked),
    list (ids separated by commas), shares (numbers separated by commas), group or community
    (an id, or the name of one), value (a change's value: a number, or text read as YAML), unit
    (a budget's unit), years (planning years separated by commas), measure (one measure of the
    objective, `MEASURE_ZH`).
    `loc`: for an item of a sheet of items (情景, 设置, 人员配备), where its value goes in the
    scenario; `unit`: the unit the explanation sheet shows, when not that of the factor.
    """

    key: str
    header: str
    kind: str = "text"
    factor: float = 1.0
    required: bool = False
    width: int = 12
    number_format: str = ""
    note: str = ""
    loc: tuple[str | int, ...] = ()
    unit: str = ""

    @property
    def drop_down(self) -> str | None:
        """The defined name of this column's drop-down list, if it has one."""
        return _DROP_DOWNS.get(self.kind)


_DROP_DOWNS = {
    "option_kind": "路径类型表",
    "group_kind": "街镇类型表",
    "scope": "资金范围表",
    "locked": "锁定表",
    "bool": "是否表",
    "group": "街镇表",
    "community": "社区表",
    "unit": "预算单位表",
    "measure": "目标表",
}

# The measures of the objective (`Scenario.objective`) in the planners' words.
MEASURE_ZH: dict[str, str] = {
    "weighted_shortfall": "加权缺口最小",
    "communities_meeting": "达标社区最多",
    "communities_meeting_both": "用房和人员双达标社区最多",
    "posts_short": "缺编最少",
    "total_cost": "费用最省",
    "county_money": "县级资金最省",
}
assert set(MEASURE_ZH) == set(get_args(ObjectiveMeasure)), "a measure without its words"

MONEY_FORMAT = "#,##0.00"
_AREA = "#,##0.0"
_SHARE = "0.00"


@dataclass(frozen=True)
class Sheet:
    """A sheet: its name, English key, what one row is and its columns (first: the row's key)."""

    name: str
    key: str
    row: str
    columns: tuple[Column, ...]
    items: tuple[Column, ...] = ()  # a sheet of items (项目 / 值): its items

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


GROUPS = Sheet(
    "街镇",
    "groups",
    "街道或镇",
    (
        Column("id", "编号", "id", required=True, note="字母、数字、- 或 _，如 chengnan"),
        Column("name", "名称", "text", required=True, width=16, note="如 城南街道"),
        Column("kind", "类型", "group_kind", required=True, note="街道 或 镇（下拉选择）"),
    ),
)

COMMUNITIES = Sheet(
    "社区",
    "communities",
    "社区",
    (
        Column("id", "编号", "id", required=True, note="字母、数字、- 或 _，全表唯一"),
        Column("name", "名称", "text", required=True, width=14),
        Column("group", "所属街镇", "group", required=True, note="街镇表的编号或名称"),
        Column("households", "户数", "int", number_format="#,##0", note="按户数定目标时必填"),
        Column("existing_area_m2", "现有面积（m²）", "number", number_format=_AREA),
        Column(
            "target_area_m2",
            "目标面积（m²）",
            "number",
            number_format=_AREA,
            note="空白 = 情景表的默认目标",
        ),
        Column("must_meet", "示范点", "bool", note="是：方案必须达标"),
        Column("priority", "优先级", "number", note="缺口的权重，1 为常用，2 表示加倍重视"),
        Column("max_options", "最多路径数", "int", note="空白 = 情景表的默认值"),
        Column("posts_now", "现有编制（人）", "int", note="填写了人员配备表时必填（没有写 0）"),
        Column("posts_target", "目标编制（人）", "int", note="空白 = 人员配备表的目标编制"),
        Column(
            "due_year",
            "达标年份",
            "int",
            note="分年度规划时：须在该年年底前达到目标面积；空白 = 示范点在最后一年",
        ),
    ),
)

OPTIONS = Sheet(
    "路径",
    "options",
    "一个社区的一条路径",
    (
        Column("community", "社区", "community", required=True, note="社区表的编号或名称"),
        Column("id", "路径编号", "id", required=True, width=18, note="全表唯一"),
        Column("kind", "类型", "option_kind", required=True, width=14, note="下拉选择"),
        Column(
            "min_area_m2",
            "最小面积（m²）",
            "number",
            number_format=_AREA,
            note="= 最大面积：全有或全无",
        ),
        Column("max_area_m2", "最大面积（m²）", "number", required=True, number_format=_AREA),
        Column(
            "area_factor",
            "计入比例",
            "number",
            number_format=_SHARE,
            note="共享面积计入的比例，默认 1",
        ),
        Column("replaces_existing", "替换现有", "bool", note="是：选中后原有面积不再计入"),
        Column(
            "fixed_cost", "固定费用（元）", "number", YUAN, number_format=MONEY_FORMAT, width=14
        ),
        Column(
            "cost_per_m2",
            "单价（元/m²）",
            "number",
            YUAN,
            number_format=MONEY_FORMAT,
            width=14,
            unit="元/m²",
        ),
        Column(
            "annual_cost",
            "年费用（元/年）",
            "number",
            YUAN,
            number_format=MONEY_FORMAT,
            width=14,
            unit="元/年",
        ),
        Column(
            "annual_cost_per_m2",
            "年租金（元/m²/月）",
            "number",
            YUAN_PER_MONTH,
            number_format=MONEY_FORMAT,
            width=16,
            note="每平方米每月的租金",
        ),
        Column(
            "excludes", "互斥路径", "list", width=18, note="同一社区不能同时选的路径编号，逗号分隔"
        ),
        Column("locked", "锁定", "locked", note="选定 或 否决：已作出的决定；空白 = 由方案决定"),
        Column("note", "备注", "text", width=30),
        Column(
            "earliest_start", "最早启动年份", "int", note="分年度规划时：最早哪年启动；空白 = 不限"
        ),
        Column(
            "latest_start", "最晚启动年份", "int", note="分年度规划时：最晚哪年启动；空白 = 不限"
        ),
        Column(
            "ready_after",
            "建成所需年数",
            "int",
            note="启动后几年面积才计入（当年计入写 0）；空白 = 新建、加高 1 年，其余 0 年",
        ),
        Column(
            "capital_profile",
            "一次性费用分年比例",
            "shares",
            width=16,
            note="分年度规划时：一次性费用自启动当年起逐年支付的比例，逗号分隔，合计为 1，"
            "如 0.6, 0.4；空白 = 启动当年全部支付",
        ),
        Column(
            "bridges",
            "过渡对象",
            "id",
            width=18,
            note="租赁过渡：本行是租赁，在同一社区的新建或加层建成前租房过渡时，填写那条新建或加层的"
            "路径编号；与它同年启动、同时选用，建成后不再计入也不再付租金；须分年度规划，"
            "本行建成所需年数留空；空白 = 不是过渡租赁",
        ),
    ),
)

PAYS_FOR_KINDS = (*OPTION_KINDS, *PAID_STAFF_KINDS)  # a column each in 资金
PAYS_FOR = tuple(
    Column(
        f"pays_for.{kind}", f"可付：{({**OPTION_KIND_ZH, **STAFF_KIND_ZH})[kind]}", "bool", width=10
    )
    for kind in PAYS_FOR_KINDS
)
FUNDING = Sheet(
    "资金",
    "funding",
    "资金来源",
    (
        Column("id", "编号", "id", required=True),
        Column("name", "名称", "text", required=True, width=20),
        Column(
            "scope", "范围", "scope", note="县（一笔）、街镇（每个街镇一笔）或 社区（每个社区一笔）"
        ),
        *PAYS_FOR,
        Column("capital_only", "仅限资本性", "bool", note="是：只付一次性费用，不付租金"),
        Column(
            "max_share",
            "最高比例",
            "number",
            number_format=_SHARE,
            note="每条路径费用中最多付的比例",
        ),
        Column(
            "max_per_option", "单项上限（元）", "number", YUAN, number_format=MONEY_FORMAT, width=14
        ),
        Column("max_options_funded", "最多资助项目数", "int"),
        Column(
            "carry_over",
            "结转",
            "bool",
            note="有年度预算时：是 = 当年未用完的钱可留到以后年度使用",
        ),
    ),
)


def _amount(note: str = "") -> Column:
    """The amount of a budget row, in 元 (the scenario's 万元 times 10,000)."""
    return Column("amount", "金额（元）", "number", YUAN, required=True,
                  number_format=MONEY_FORMAT, width=16, note=note)  # fmt: skip


# A budget's unit: the whole scope (县, 各街镇, 各社区), a kind of group (街道, 镇), or the id of
# one group or community.
UNIT_ALL = {"county": "县", "group": "各街镇", "community": "各社区"}
BUDGETS = Sheet(
    "预算",
    "budgets",
    "一个资金来源在一个单位的预算",
    (
        Column("source", "资金", "id", required=True, note="资金表的编号"),
        Column(
            "unit",
            "单位",
            "unit",
            required=True,
            width=14,
            note="县 / 各街镇 / 各社区（每个单位同额）、街道 或 镇（按类型）、或某街镇、社区的编号",
        ),
        _amount(),
    ),
)

VARIANTS = Sheet(
    "假设",
    "variants",
    "一个假设的一项改动",
    (
        Column("name", "假设名称", "id", required=True, width=16, note="字母、数字、- 或 _"),
        Column("description", "说明", "text", width=30, note="写在该假设的第一行"),
        Column(
            "path", "改动路径", "text", required=True, width=44, note="如 funding[county].budget"
        ),
        Column(
            "value",
            "值（万元）",
            "value",
            required=True,
            width=20,
            note="情景文件的单位（万元、万元/m²/年）；如 360 或 {scale: 0.8}",
        ),
    ),
)

YEAR_BUDGETS = Sheet(
    "年度预算",
    "budgets_by_year",
    "一个资金来源在一个年度的预算",
    (
        Column("source", "资金", "id", required=True, note="资金表的编号"),
        Column("year", "年度", "int", required=True, note="设置表中的规划年度之一"),
        _amount(
            "该年度最多支出（范围为街镇、社区时为每个单位的金额）；资金有年度预算时，未列出的"
            "年度不支出"
        ),
    ),
)

DATA_SHEETS = (GROUPS, COMMUNITIES, OPTIONS, FUNDING, BUDGETS, YEAR_BUDGETS, VARIANTS)
README_SHEET = "说明"
README_KEYS = ("readme", README_SHEET)
LISTS_SHEET = "_lists"
