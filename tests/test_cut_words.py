"""What a time limit cut short, in the run's language: the part and how it ended are words of
the catalogue (the solver's own note, with its figures, follows them)."""

from __future__ import annotations

import pytest

from allocator.catalogue import use_lang
from allocator.cli.explain import cut_short_words
from allocator.findings import CutShort


@pytest.mark.parametrize(
    ("cut", "zh", "en"),
    [
        (CutShort("solve", "time_limit", "gap 0.06"), "求解（到达时限", "solve (the best found"),
        (CutShort("explanation of xinxing", "skipped", "-"), "社区 xinxing 的解释（时间已用完",
         "explanation of xinxing (skipped"),
        (CutShort("forced routes", "stopped", "-"), "必选路径（到达时限即停止", "forced routes ("),
    ],
)  # fmt: skip
def test_a_part_cut_short_in_both_languages(cut: CutShort, zh: str, en: str) -> None:
    with use_lang("zh"):
        assert cut_short_words(cut).startswith(zh)
    with use_lang("en"):
        assert cut_short_words(cut).startswith(en)
