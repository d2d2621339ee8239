"""What the desk reads of real dispatches on the default corridor, in both languages (issue #17):
every text field of the dispatch view has its Chinese sibling, no text shows a raw place or tier id,
and the Chinese texts have no English words (ids such as c05, d12, G1, K78 and T1207-AM1 aside)."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from fleetplan.corridor import load_corridor
from fleetplan.phrase import TierRef
from fleetplan.wording import names_of

from solver.dispatch import Budget, SolveParams
from solver.planning.scenarios import load_scenario, run_scenario

from api import views
from api.cli import main
from api.routers.desk import render_record
from api.schemas_options import OptionsOut
from api.view_words import named

from tests.wording_checks import english_words, raw_place_ids, raw_tier_ids, snake_case_ids

BOOK = Path(__file__).resolve().parents[1] / "scenarios"
# Rejections, passing coaches, a pre-departure failure, rests on the way, a blizzard's closures and
# overtime, the night stop, nobody on shift: between them every kind of text the desk shows.
SCENARIOS = (
    "depot_am4_fails_at_hightech_rejections",
    "rejections_friday_permits_licences",
    "passing_friday_students_full_coaches",
    "depot_pm1_fails_at_campus_pre_departure",
    "blizzard_guojiadian_rest_on_way",
    "blizzard_k84_morning_standbys_cannot_enter",
    "blizzard_three_coaches_overtime",
    "enforce_0130_k60_waits_until_0500",
    "no_driver_anywhere_after_midnight",
)
PARAMS = SolveParams(budget=Budget.wall_clock(1.0), alternatives=3)
# The English texts of a view and the siblings that say them in Chinese.
TEXTS = (
    "reason",
    "code_name",
    "explanation",
    "why_below_first",
    "description",
    "reasons",
    "position",
    "origin_name",
    "destination_name",
    "location_name",
    "tier_name",
    "place_name",
)


@pytest.fixture(scope="module")
def corridor():
    return load_corridor()


@pytest.fixture(scope="module", params=SCENARIOS)
def dispatched(request, corridor):
    """(the desk's view of the scenario's dispatch, the callers' own texts for unavailable resources)."""
    result = run_scenario(load_scenario(BOOK / f"{request.param}.toml"), corridor, PARAMS)
    assert result.outcome is not None, result.checks
    return views.desk_dispatch_view(result.outcome), set(result.outcome.instance.unavailable.values())


def texts(view: Any, lang: str) -> list[tuple[str, str]]:
    """(field, text) of every text field of ``view`` in ``lang``, however deep."""
    found: list[tuple[str, str]] = []
    if isinstance(view, list):
        for item in view:
            found += texts(item, lang)
    elif isinstance(view, dict):
        for key, value in view.items():
            base = key.removesuffix("_zh")
            if base in TEXTS and (key.endswith("_zh") == (lang == "zh")):
                values = value if isinstance(value, list) else [value]
                found += [(key, text) for text in values if isinstance(text, str)]
            elif isinstance(value, dict | list):
                found += texts(value, lang)
    return found


def siblings(view: Any) -> list[str]:
    """The English text fields of ``view`` that have no Chinese sibling."""
    missing: list[str] = []
    if isinstance(view, list):
        for item in view:
            missing += siblings(item)
    elif isinstance(view, dict):
        missing += [key for key in view if key in TEXTS and f"{key}_zh" not in view]
        for value in view.values():
            missing += siblings(value) if isinstance(value, dict | list) else []
    return missing


def test_every_text_has_its_chinese_sibling(dispatched):
    view, _ = dispatched
    assert siblings(view) == []
    assert len(texts(view, "zh")) == len(texts(view, "en"))


def test_no_text_shows_a_place_or_tier_id(dispatched):
    view, _ = dispatched
    for lang in ("en", "zh"):
        for key, text in texts(view, lang):
            assert raw_place_ids(text) == [], (key, text)
            assert raw_tier_ids(text) == [], (key, text)


def test_the_english_shows_no_snake_case_id(dispatched):
    view, _ = dispatched
    for key, text in texts(view, "en"):
        assert snake_case_ids(text) == [], (key, text)


def test_the_chinese_has_no_english_words(dispatched):
    view, callers = dispatched
    for key, text in texts(view, "zh"):
        for said in callers:  # a reason the caller wrote ("out on a charter") is shown as written
            text = text.replace(said, "")
        assert english_words(text) == [], (key, text)


def test_the_response_schema_keeps_every_chinese_sibling(dispatched):
    view, _ = dispatched
    checked = OptionsOut.model_validate(view).model_dump()
    assert sorted(texts(checked, "zh")) == sorted(texts(view, "zh"))


def test_a_dispatch_names_its_places_in_both_languages(corridor):
    result = run_scenario(load_scenario(BOOK / "depot_am4_fails_at_hightech_rejections.toml"), corridor, PARAMS)
    view = views.desk_dispatch_view(result.outcome)
    first = view["plans"][0]["assignments"][0]
    names = corridor.network.graph.nodes[first["origin"]]
    assert (first["origin_name"], first["origin_name_zh"]) == (names["name"], names["name_zh"])
    assert names["name"] in view["plans"][0]["explanation"] and names["name_zh"] in view["plans"][0]["explanation_zh"]
    assert view["incidents"][0]["tier_name_zh"] in ("市区", "备车附近", "干线中段", "发车前")


def test_the_command_line_prints_the_chinese_with_lang_zh(capsys):
    argv = ["dispatch", "--vehicle", "c01", "--at", "G1 K78 toward Siping", "--time", "07:40", "--passengers", "42"]
    assert main([*argv, "--alternatives", "2", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "方案 1" in out and "未选用" in out and "状态" in out
    assert "在维修厂" in out  # c14's reason
    assert raw_place_ids(out) == []
    assert main([*argv, "--alternatives", "1", "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["plans"][0]["explanation_zh"] and all(r["reason_zh"] for r in view["rejected"])
    assert main([*argv, "--alternatives", "1"]) == 0
    english = capsys.readouterr().out
    assert "plan 1" in english and raw_place_ids(english) == []


def test_the_printed_record_shows_both_languages(corridor):
    result = run_scenario(load_scenario(BOOK / "depot_am4_fails_at_hightech_rejections.toml"), corridor, PARAMS)
    options = views.desk_dispatch_view(result.outcome)
    view = {
        "number": 4,
        "status": "options",
        "reported_at": "2026-12-08T06:49",
        "report": {"vehicle_id": "c04", "location": "changchun_hightech", "passengers": 25},
        "tier": "pre_departure",
        **named("tier_name", TierRef("pre_departure"), names_of(None)),
        "limit_min": 15,
        "options": options,
        "accepted": None,
        "entries": [],
    }
    page = render_record(view, corridor, printed_at=datetime(2026, 12, 8, 9, 0))
    plan, rejected = options["plans"][0], options["rejected"][0]
    assert escape(f"{plan['explanation_zh']} · {plan['explanation']}") in page
    assert escape(f"{rejected['reason_zh']} · {rejected['reason']}") in page
    assert "发车前 · pre-departure" in page
