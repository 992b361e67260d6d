"""The workbook's sheets of items (情景, 设置, 人员配备): one item a row, 项目 / 值 and a 说明
column the reader ignores, each item saying where its value goes in the scenario (`loc`); and
every sheet of the workbook in its order (`SHEETS`). The sheets of rows are in
`workbook_columns`."""

from __future__ import annotations

from allocator.scenario.workbook_columns import (
    BUDGETS,
    COMMUNITIES,
    FUNDING,
    GROUPS,
    MEASURE_ZH,
    MONEY_FORMAT,
    OPTIONS,
    README_SHEET,
    VARIANTS,
    YEAR_BUDGETS,
    YUAN,
    Column,
    Sheet,
)

ITEM_COLUMNS = (
    Column("item", "项目", "text", required=True, width=32),
    Column("value", "值", "text", required=True, width=36),
    Column("note", "说明", "text", width=56),
)
SETTINGS = (
    Column("name", "情景名称", "text", required=True, note="本次规划的名称，必填", loc=("name",)),
    Column("description", "情景说明", "text", note="可不填", loc=("description",)),
    Column(
        "horizon_years",
        "规划年限（年）",
        "int",
        note="预算须覆盖的租金和人员费用年数，常用 3；分年度规划时不少于年度数",
        loc=("horizon_years",),
    ),
    Column(
        "target_area_m2",
        "默认目标面积（m²）",
        "number",
        note="每个社区的标准面积；与下面两项（按户数）二选一",
        loc=("defaults", "target_area_m2"),
    ),
    Column(
        "per_household",
        "按户数：每户面积（m²/户）",
        "number",
        note="如 0.3（每百户30m²）",
        loc=("defaults", "target_area_m2", "per_household"),
    ),
    Column(
        "at_least",
        "按户数：最低面积（m²）",
        "number",
        note="按户数算出的目标不低于此数",
        loc=("defaults", "target_area_m2", "at_least"),
    ),
    Column(
        "max_options_per_community",
        "每个社区最多路径数",
        "int",
        note="社区表未填时用此数",
        loc=("defaults", "max_options_per_community"),
    ),
)
SETTINGS_SHEET = Sheet("情景", "scenario", "项目", ITEM_COLUMNS, SETTINGS)

OBJECTIVE_ITEMS = tuple(
    Column(
        f"objective.{k}",
        f"目标顺序：第{k}位",
        "measure",
        note=(
            "下拉选择，依次优化，前一目标保持不变再优化后一目标；全部空白 = 默认顺序（"
            "加权缺口最小、有人员配备时再缺编最少、最后费用最省）"
            if k == 1
            else ""
        ),
        loc=("objective", k - 1),
    )
    for k in range(1, len(MEASURE_ZH) + 1)
)
PLAN_ITEMS = (
    Column(
        "years",
        "规划年度",
        "years",
        note="分年度规划时填写，逗号分隔，如 2024, 2025, 2026：每条路径定启动年份，资金可按年度"
        "预算；空白 = 不分年度",
        loc=("years",),
    ),
    *OBJECTIVE_ITEMS,
)
PLAN_SHEET = Sheet("设置", "settings", "项目", ITEM_COLUMNS, PLAN_ITEMS)

_YUAN_A_PERSON_YEAR = "元/人/年"
STAFF_ITEMS = (
    Column(
        "posts_target",
        "目标编制（人/社区）",
        "int",
        note="每个社区应配齐的编制人数，常用 7；填写本表即规划人员，社区表须填现有编制",
        loc=("staffing", "posts_target"),
    ),
    Column(
        "add_post.quota",
        "增编：县编制额度（人）",
        "int",
        note="整个攻坚期内可新增的编制数；空白 = 不增编",
        loc=("staffing", "add_post", "quota"),
    ),
    Column(
        "add_post.cost_per_post_year",
        "增编：每人每年费用（元/人/年）",
        "number",
        YUAN,
        number_format=MONEY_FORMAT,
        note="如 75000（7.5 万元）",
        loc=("staffing", "add_post", "cost_per_post_year"),
        unit=_YUAN_A_PERSON_YEAR,
    ),
    Column(
        "dispatch.pool",
        "下派：第一书记人数（人）",
        "int",
        note="可下派的人数，每个社区至多 1 人，费用由派出单位承担；空白 = 不下派",
        loc=("staffing", "dispatch", "pool"),
    ),
    Column(
        "recruit.cost_per_person_year",
        "招聘：每人每年费用（元/人/年）",
        "number",
        YUAN,
        number_format=MONEY_FORMAT,
        note="工资和保险，如 55000（5.5 万元）；空白 = 不招聘",
        loc=("staffing", "recruit", "cost_per_person_year"),
        unit=_YUAN_A_PERSON_YEAR,
    ),
    Column(
        "recruit.most",
        "招聘：最多人数（人）",
        "int",
        note="整个攻坚期内最多招聘的人数；空白 = 不限",
        loc=("staffing", "recruit", "most"),
    ),
    Column(
        "pay_rise.street_yuan_per_month",
        "待遇提标：街道（元/人/月）",
        "number",
        note="街道社区每名在岗干部每月增加的待遇",
        loc=("staffing", "pay_rise", "street_yuan_per_month"),
        unit="元/人/月",
    ),
    Column(
        "pay_rise.town_yuan_per_month",
        "待遇提标：镇（元/人/月）",
        "number",
        note="镇社区每名在岗干部每月增加的待遇；两项都空白 = 不提标",
        loc=("staffing", "pay_rise", "town_yuan_per_month"),
        unit="元/人/月",
    ),
    # With years (设置表填写了规划年度): limits by year, a first secretary's term, the rise's year.
    Column(
        "add_post.quota_by_year",
        "增编：分年度额度（年:人）",
        "by_year",
        note="分年度规划时每年可新增的编制，如 2024:5, 2025:3；未列的年份只受总额度限制",
        loc=("staffing", "add_post", "quota_by_year"),
        unit="年:人",
    ),
    Column(
        "dispatch.pool_by_year",
        "下派：分年度在任人数（年:人）",
        "by_year",
        note="每年在任的第一书记最多人数，如 2024:6, 2025:8；未列的年份不另设限",
        loc=("staffing", "dispatch", "pool_by_year"),
        unit="年:人",
    ),
    Column(
        "dispatch.term_years",
        "下派：任期（年）",
        "int",
        note="第一书记自派出当年起任职的年数，只在任期内计入编制；空白 = 到规划末年",
        loc=("staffing", "dispatch", "term_years"),
        unit="年",
    ),
    Column(
        "recruit.most_by_year",
        "招聘：分年度最多人数（年:人）",
        "by_year",
        note="每年最多招聘的人数，如 2024:10；未列的年份只受总人数限制",
        loc=("staffing", "recruit", "most_by_year"),
        unit="年:人",
    ),
    Column(
        "pay_rise.from_year",
        "待遇提标：起始年份",
        "int",
        note="提标从这一年起发放，此前不发；空白 = 第一个规划年度",
        loc=("staffing", "pay_rise", "from_year"),
        unit="年份",
    ),
)
STAFF_SHEET = Sheet("人员配备", "staffing", "项目", ITEM_COLUMNS, STAFF_ITEMS)

ITEM_SHEETS = (SETTINGS_SHEET, PLAN_SHEET, STAFF_SHEET)
# The sheets in the workbook's order (after 说明).
SHEETS = (SETTINGS_SHEET, PLAN_SHEET, GROUPS, COMMUNITIES, OPTIONS, FUNDING, BUDGETS,
          YEAR_BUDGETS, STAFF_SHEET, VARIANTS)  # fmt: skip
SHEET_ORDER = (README_SHEET, *(s.name for s in SHEETS))
