"""The replay's fast path for evidence must agree with the full validation, always."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from definitions import shipped_texts
from workflow.errors import EvidenceInvalid
from workflow.evidence import is_normalized, validate_evidence
from workflow.reader import load_definition

PROCEDURE = next(load_definition(t, n) for n, t in shipped_texts() if n.endswith("procedure.yaml"))
SPECS = {t.trigger: t for t in PROCEDURE.transitions}

texts = st.one_of(st.sampled_from(["", " ", "ก", " ข ", "e\u0301", "é", "ผู้แทน", "x" * 3]), st.text(max_size=6))
scalars = st.one_of(texts, st.none(), st.booleans(), st.integers(-2, 3000), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["2026-11-10", "2569-11-10", "10/11/2569", "2026-1-5", "๒๕๖๙-๑๑-๑๐",
                                     "2026-02-30", "123/2569", "ศธ ๐๔๐๘๖/๑", " ๑๒๓/๒๕๖๙", "order", "committee",
                                     "adopt", "true", "a" * 64, "f" * 64]))


def _value(field, data):
    if field.type == "list":
        items = data.draw(st.lists(st.one_of(st.just("not a dict"), st.builds(dict)), max_size=0)) or []
        for _ in range(data.draw(st.integers(0, 3))):
            items.append(_evidence(field.fields, data))
        return data.draw(st.sampled_from([items, items, items[0] if items else items]))
    if field.type == "attachment":
        return data.draw(st.one_of(scalars, st.fixed_dictionaries(
            {"sha256": st.sampled_from(["a" * 64, "xyz"])},
            optional={"name": st.one_of(texts, st.integers()), "size": st.one_of(st.integers(), texts),
                      "extra": st.just(1)})))
    if field.type == "choice":
        return data.draw(st.one_of(st.sampled_from(field.options), scalars))
    return data.draw(scalars)


def _evidence(fields, data):
    out = {}
    for field in fields:
        if data.draw(st.integers(0, 5)):
            out[field.id] = _value(field, data)
    if data.draw(st.integers(0, 9)) == 0:
        out["unknown_field"] = "x"
    return out



def _same(normalized, given) -> bool:
    """Equal to the letter, as JSON text (Python's == takes 0 for False and 1.0 for 1)."""
    def text(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)

    try:
        return text(normalized) == text(given)
    except (TypeError, ValueError):  # NaN and the like: never stored as such
        return False


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(SPECS)), st.data())
def test_fast_path_agrees_with_validate_evidence(trigger, data):
    spec = SPECS[trigger]
    evidence = _evidence(spec.evidence, data)
    try:
        expected = _same(validate_evidence(trigger, spec.evidence, evidence), evidence)
    except EvidenceInvalid:
        expected = False
    assert is_normalized(spec.evidence, evidence) is expected


def test_fast_path_accepts_what_the_engine_records():
    from tests.steps import HAPPY_PATH

    for trigger, _actor, raw in HAPPY_PATH:
        spec = SPECS[trigger]
        normalized = validate_evidence(trigger, spec.evidence, raw)
        assert is_normalized(spec.evidence, normalized)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 5), st.data())
def test_fast_path_agrees_near_valid_evidence(step, data):
    """One change to evidence the engine recorded: both must still agree."""
    import copy

    from tests.steps import HAPPY_PATH

    trigger, _actor, raw = HAPPY_PATH[step]
    spec = SPECS[trigger]
    evidence = copy.deepcopy(validate_evidence(trigger, spec.evidence, raw))
    target = evidence
    key = data.draw(st.sampled_from(sorted(target)))
    if isinstance(target[key], list) and target[key] and data.draw(st.booleans()):
        target = data.draw(st.sampled_from(target[key]))
        key = data.draw(st.sampled_from(sorted(target)))
    action = data.draw(st.sampled_from(["drop", "replace", "pad", "unknown"]))
    if action == "drop":
        del target[key]
    elif action == "replace":
        target[key] = data.draw(scalars)
    elif action == "pad" and isinstance(target[key], str):
        target[key] = data.draw(st.sampled_from([" ", "\u0301", ""])) + target[key]
    elif action == "unknown":
        target["zz_unknown"] = 1
    try:
        expected = _same(validate_evidence(trigger, spec.evidence, evidence), evidence)
    except EvidenceInvalid:
        expected = False
    assert is_normalized(spec.evidence, evidence) is expected
