"""The planners' words for the scenario's codes: one table, read by every file planners open.

A scenario file keeps its English codes (`allocate_build`, `street`, `county`); workbooks,
ledgers and memos show the Chinese words below, and a workbook may be filled in with either.
`code_of` turns a word a planner wrote (Chinese or English, any case, spaces trimmed) back into
its code, or None when it is neither.
"""

from __future__ import annotations

from collections.abc import Mapping

# The route kinds, in the words of the county's own report (无偿划拨 ... 收回出租).
OPTION_KIND_ZH: Mapping[str, str] = {
    "allocate_build": "无偿划拨新建",
    "heighten": "加高改造",
    "lease": "租赁",
    "asset_swap": "资产置换",
    "integrate": "资源整合",
    "developer": "开发商提供",
    "reclaim": "收回出租",
}
GROUP_KIND_ZH: Mapping[str, str] = {"street": "街道", "town": "镇"}
SCOPE_ZH: Mapping[str, str] = {"county": "县", "group": "街镇", "community": "社区"}
LOCKED_ZH: Mapping[str, str] = {"chosen": "选定", "rejected": "否决"}
YES_NO_ZH: Mapping[bool, str] = {True: "是", False: "否"}
# What staff money pays for (a funding source's `pays_for`, beside the route kinds), and the
# three routes to a post: 增编 added establishment posts, 下派 a first secretary, 招聘 recruits.
STAFF_KIND_ZH: Mapping[str, str] = {
    "add_post": "增编",
    "dispatch": "下派第一书记",
    "recruit": "招聘社区工作者",
    "pay_rise": "待遇提标",
}

# Other words a planner may write for the same code (accepted on reading, never written).
_ALSO: Mapping[str, Mapping[str, str]] = {
    "option_kind": {
        "划拨新建": "allocate_build",
        "新建": "allocate_build",
        "加层改造": "heighten",
        "加层": "heighten",
        "置换": "asset_swap",
        "共享": "integrate",
        "开发商无偿提供": "developer",
        "收回": "reclaim",
    },
    "group_kind": {"街道办": "street", "乡镇": "town"},
    "staff_kind": {"下派": "dispatch", "招聘": "recruit", "提标": "pay_rise", "加薪": "pay_rise"},
    "scope": {"街道": "group", "镇": "group"},
    "locked": {"已选定": "chosen", "已否决": "rejected"},
    "yes_no": {
        "yes": "true",
        "no": "false",
        "y": "true",
        "n": "false",
        "1": "true",
        "0": "false",
        "对": "true",
        "不": "false",
        "√": "true",
        "×": "false",
    },
}

WORDS: Mapping[str, Mapping[str, str]] = {
    "option_kind": OPTION_KIND_ZH,
    "group_kind": GROUP_KIND_ZH,
    "staff_kind": STAFF_KIND_ZH,
    "scope": SCOPE_ZH,
    "locked": LOCKED_ZH,
    "yes_no": {"true": "是", "false": "否"},
}


def zh(table: str, code: str | bool) -> str:
    """The Chinese word for a code (the code itself when the table has none)."""
    key = str(code).lower() if isinstance(code, bool) else code
    return WORDS[table].get(key, str(code))


def code_of(table: str, written: object) -> str | None:
    """The code a planner's word stands for (Chinese or English), or None."""
    text = str(written).strip()
    words = WORDS[table]
    if text in words:
        return text
    lowered = text.lower()
    if lowered in words:
        return lowered
    for code, word in words.items():
        if text == word:
            return code
    return _ALSO[table].get(text, _ALSO[table].get(lowered))


def choices(table: str) -> list[str]:
    """The Chinese words of a table, in order: the drop-down list of a workbook column."""
    return list(WORDS[table].values())
