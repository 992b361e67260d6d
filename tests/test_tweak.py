"""Changed copies of a scenario carry their change into later what-ifs."""

from __future__ import annotations

from conftest import COUNTY_FILE

from allocator.scenario.edits import with_budget
from allocator.scenario.loading import load_scenario


def test_a_tweaked_copy_keeps_its_change_through_with_changes() -> None:
    county = load_scenario(COUNTY_FILE)
    cut = with_budget(county, "county", "county", 100)
    assert cut.funding[0].budget == 100
    again = cut.with_changes({"funding[startup].budget_by_kind.town": 6})
    assert again.funding[0].budget == 100
    assert county.funding[0].budget == 450, "the original is untouched"
