"""The label catalogue: every set speaks both languages, English labels hold no CJK, and the
language of outputs is --lang, else the rubric's, else Chinese."""

from __future__ import annotations

import re

import pytest

from svcqa import labels
from svcqa.errors import UsageError

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
CATALOGUES = {
    "FLAG_LABELS": labels.FLAG_LABELS,
    "FORM_LABELS": labels.FORM_LABELS,
    "REPORT_LABELS": labels.REPORT_LABELS,
    "EVIDENCE_KIND_LABELS": labels.EVIDENCE_KIND_LABELS,
    "EVIDENCE_KIND_COLUMNS": labels.EVIDENCE_KIND_COLUMNS,
    "SCORECARD_LABELS": labels.SCORECARD_LABELS,
    "SCORECARD_COLUMNS": labels.SCORECARD_COLUMNS,
    "REJECTS_HEADERS": labels.REJECTS_HEADERS,
    "TERMINAL_LABELS": labels.TERMINAL_LABELS,
    "WHATIF_LABELS": labels.WHATIF_LABELS,
    "PERIOD_RULE_LABELS": labels.PERIOD_RULE_LABELS,
}


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, tuple):
        return [t for v in value for t in _texts(v)]
    raise AssertionError(f"unexpected label value {value!r}")


@pytest.mark.parametrize("name", sorted(CATALOGUES))
def test_each_catalogue_has_both_languages_with_the_same_keys(name: str) -> None:
    """zh and en carry the same keys (and tuples of the same length), and en holds no CJK."""
    catalogue = CATALOGUES[name]
    assert set(catalogue) == set(labels.LANGUAGES) == {"zh", "en"}
    zh, en = catalogue["zh"], catalogue["en"]
    assert set(zh) == set(en)
    for key, text in zh.items():
        if isinstance(text, tuple):
            assert len(en[key]) == len(text), key
    assert [t for t in _texts(en) if CJK.search(t)] == []


def test_the_language_is_lang_else_the_rubric_else_chinese() -> None:
    """--lang wins over the rubric's language; with neither, Chinese; anything else is refused."""
    assert labels.output_language("en", "zh") == "en"
    assert labels.output_language("zh", "en") == "zh"
    assert labels.output_language(None, "en") == "en"
    assert labels.output_language(None, None) == "zh"
    with pytest.raises(UsageError, match="zh, en"):
        labels.output_language("fr", None)


def test_lists_and_flags_read_as_each_language_writes_them() -> None:
    """Chinese lists with 、 and 是/否; English with a comma and yes/no."""
    assert labels.list_text(["a", "b"], "zh") == "a、b"
    assert labels.list_text(["a", "b"], "en") == "a, b"
    assert (labels.yes_no(True, "zh"), labels.yes_no(False, "zh")) == ("是", "否")
    assert (labels.yes_no(True, "en"), labels.yes_no(False, "en")) == ("yes", "no")
    assert labels.flags_text(["last_place", "veto"], "en") == "last place, veto"
    assert labels.flags_text(["last_place", "veto"], "zh") == "末位、一票否决"
