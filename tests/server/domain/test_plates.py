"""Licence plate logic (domain/plates.py): normal form, assembling OCR lines, the gallery, visits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference_server.domain.behaviour import BehaviourConfig
from inference_server.domain.plates import (
    InvalidPlate,
    PlateConfig,
    PlateVisit,
    TextPiece,
    assemble,
    edit_distance,
    match_known,
    normalise,
    parse_plate,
    plate_repeated_visits,
    plausible,
)

TODAY = date(2026, 11, 20)


def test_normal_form_keeps_ascii_letters_and_digits_upper_cased() -> None:
    assert normalise("ab-123 cd") == "AB123CD"
    assert normalise(" M·Ü 1234 ") == "M1234"  # non-ASCII letters are not plate characters
    assert parse_plate("b.xy 42") == "BXY42"
    for bad in ("", "A1", "ABCDEFGHIJ12", "---"):
        with pytest.raises(InvalidPlate):
            parse_plate(bad)


def test_plausible_needs_a_digit_and_a_plate_length() -> None:
    assert plausible("AB123CD") and plausible("1234")
    assert not plausible("TOYOTA")  # a badge, not a plate
    assert not plausible("A12") and not plausible("A" * 10 + "1")


def test_assemble_joins_fragments_in_reading_order_and_applies_the_confidence() -> None:
    pieces = [TextPiece(120, 11, "123CD", 0.92), TextPiece(10, 12, "AB", 0.9)]
    read = assemble(pieces)
    assert read is not None and read.text == "AB123CD" and read.confidence == pytest.approx(0.91)
    # Two rows: the top row first, whatever the x.
    rows = [TextPiece(5, 60, "1234", 0.95), TextPiece(40, 2, "KA", 0.95)]
    two = assemble(rows)
    assert two is not None and two.text == "KA1234"
    assert assemble([TextPiece(0, 0, "AB123CD", 0.5)]) is None  # below min_confidence
    assert assemble([TextPiece(0, 0, "AB123CD", 0.5)], PlateConfig(min_confidence=0.4)) is not None
    assert assemble([TextPiece(0, 0, "FORD", 0.99)]) is None
    assert assemble([]) is None


def test_a_single_confident_line_beats_a_noisy_join() -> None:
    pieces = [TextPiece(0, 0, "AB123CD", 0.97), TextPiece(0, 80, "DIESEL 2", 0.71)]
    read = assemble(pieces)
    assert read is not None and read.text == "AB123CD"


def test_gallery_match_exact_fuzzy_and_ambiguous() -> None:
    gallery: dict[str, str | None] = {"AB123CD": "our car", "XY987ZZ": None}
    assert match_known("AB123CD", gallery) == "AB123CD"
    assert match_known("AB128CD", gallery) == "AB123CD"  # one OCR slip (3 -> 8)
    assert match_known("AB12CD", gallery) == "AB123CD"  # one character lost
    assert match_known("AB128CO", gallery) is None  # two edits
    assert match_known("AB128CD", gallery, PlateConfig(max_edit_distance=0)) is None
    assert match_known("1234", {"1235": None}) is None  # short plates must match exactly
    assert match_known("AB1234", {"AB1235": None, "AB1236": None}) is None  # ambiguous


@given(st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=4, max_size=10))
def test_edit_distance_is_a_metric_on_plates(plate: str) -> None:
    assert edit_distance(plate, plate) == 0
    changed = plate[:-1] + ("0" if plate[-1] != "0" else "1")
    assert edit_distance(plate, changed) == edit_distance(changed, plate) == 1
    assert match_known(plate, {plate: "x"}) == plate


def _visits(plate: str, days: list[int], camera: str = "driveway") -> list[PlateVisit]:
    return [PlateVisit(plate, camera, TODAY - timedelta(days=d)) for d in days]


def test_repeated_visits_by_plate_needs_distinct_days_at_this_camera() -> None:
    config = BehaviourConfig()
    history = _visits("AB123CD", [1, 1, 3]) + _visits("AB123CD", [2, 4], camera="street")
    [finding] = plate_repeated_visits("driveway", TODAY, {"AB123CD": "car"}, history, config)
    assert finding.kind == "repeated_visits" and finding.subject == "car"
    assert "3 different days" in finding.explanation
    assert "AB123CD" not in finding.explanation  # plate text never goes into reasoning
    assert plate_repeated_visits("driveway", TODAY, {"AB123CD": "car"}, _visits("AB123CD", [1]), config) == []
    too_old = _visits("AB123CD", [7, 8])
    assert plate_repeated_visits("driveway", TODAY, {"AB123CD": "car"}, too_old, config) == []
    # The residents' own car is not a repeated visitor.
    assert (
        plate_repeated_visits("driveway", TODAY, {"AB123CD": "car"}, history, config, known=["AB123CD"]) == []
    )


@given(st.sets(st.integers(min_value=1, max_value=6), max_size=6))
def test_repeated_visit_strength_grows_with_days(days: set[int]) -> None:
    config = BehaviourConfig()
    found = plate_repeated_visits(
        "d", TODAY, {"AB123CD": "truck"}, _visits("AB123CD", sorted(days), "d"), config
    )
    if len(days) + 1 < config.repeat_days:
        assert found == []
        return
    [finding] = found
    more = plate_repeated_visits(
        "d",
        TODAY,
        {"AB123CD": "truck"},
        _visits("AB123CD", sorted(days), "d") + _visits("AB123CD", [0], "d"),
        config,
    )
    assert more[0].strength == finding.strength  # today counted once
    if len(days) < 6:
        extra = min(set(range(1, 7)) - days)
        grown = plate_repeated_visits(
            "d", TODAY, {"AB123CD": "truck"}, _visits("AB123CD", [*sorted(days), extra], "d"), config
        )
        assert grown[0].strength >= finding.strength
