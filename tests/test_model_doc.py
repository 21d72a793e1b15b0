"""docs/recovery-model.md, the rules written out for people, says what the engine does: its
words, weights and numbers, and, as not implemented yet, only what the engine lacks."""

from __future__ import annotations

import re
from pathlib import Path

from candidates import engine
from candidates.engine import (
    MISSTEP_WEIGHTS,
    Advice,
    Dimension,
    Kind,
    Reason,
    RejectionReason,
    Status,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "recovery-model.md"


def doc() -> str:
    return DOC.read_text()


def section(title: str) -> str:
    text = doc()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_misstep_table_is_the_engines_weights():
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| (\d+) \|$", section("Event kinds"), re.M)
    assert {Kind(kind): int(weight) for kind, weight in rows} == MISSTEP_WEIGHTS


def test_every_word_of_the_engine_is_on_the_page():
    text = doc()
    for word in [*Kind, *Reason, *Dimension, *Status, *Advice]:
        assert f"`{word.value}`" in text, word


def test_the_numbers_are_the_engines():
    text = " ".join(doc().split())  # as read, whatever the line breaks
    assert f"within {engine.LIVE_MONTHS} months" in text
    assert f"within {engine.RECENT_MONTHS} months" in text
    assert f"add up to **{engine.BURN_WEIGHT} or more**" in text
    assert f"This part stops at **{engine.MISSTEP_CAP}**" in text
    assert (
        f"rounded **half up** (2.5 gives 3, 4.44 gives 4) and stops at **{engine.SCORE_CAP}**"
        in (text)
    )
    assert f"the risk score is **{engine.CAUTION_SCORE} or more**" in text


def test_the_status_rules_are_listed_in_the_engines_order():
    rules = re.findall(r"^\d\. \*\*`(\w+)`\*\*", section("Status"), re.M)
    assert rules == [s.value for s in Status]


def test_not_implemented_yet_names_only_what_the_engine_lacks():
    # Everything the contract names is implemented: the page may drop the section.
    missing = section("Not implemented yet") if "## Not implemented yet\n" in doc() else ""
    words = {k.value for k in Kind} | {s.value for s in Status}
    for word in ("rejected", "submitted", "left_early", "override"):
        assert word in words, f"{word} is on the page as implemented, not in the engine"
        assert f"`{word}`" not in missing, f"{word} is implemented: take it off the list"
    assert "One person" not in missing


def test_every_employer_reason_is_on_the_page():
    text = doc()
    for reason in RejectionReason:
        assert f"`{reason.value}`" in text, reason


def test_one_person_one_history_is_described_with_the_codes_numbers():
    from candidates import duplicates
    from candidates.models import MERGE_UNDO_DAYS

    text = " ".join(section("One person, one history").split())
    assert f"the last {duplicates.PHONE_DIGITS} must be equal" in text
    assert f"**{duplicates.SIMILARITY} or more**" in text
    assert f"**{MERGE_UNDO_DAYS} days**" in text
