"""The benchmark harness writes a valid report (on a tiny county; nothing is timed)."""

import json

import pytest

from bench.run import run

pytestmark = pytest.mark.django_db


def test_a_tiny_county_gives_a_report_with_every_field(tmp_path):
    output = tmp_path / "latest.json"

    table = run(
        scale=0.01,
        small_scale=0.01,
        repeats=1,
        only={"P1", "P2", "P5", "P6"},
        flush=False,
        output=output,
        requirements=0,  # the real modules only: quicker to build
    )

    report = json.loads(output.read_text())
    assert set(report) == {"machine", "date", "results"}
    assert report["machine"] and report["date"]
    ids = {r["id"] for r in report["results"]}
    assert ids == {"P1", "P2", "P5", "P6"}
    for result in report["results"]:
        assert {"id", "name", "value", "unit", "target", "holds"} <= set(result)
        assert isinstance(result["holds"], bool)
    # Query counts are whole numbers and the same two counties give the same ones.
    counts = [r for r in report["results"] if r["id"] == "P2"]
    assert counts and all(isinstance(r["value"], int) for r in counts)
    assert "| id | what | value | target | holds |" in table
