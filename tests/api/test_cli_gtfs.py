"""``fleetplan gtfs export DIR`` (issue 16 §6): the files, their JSON summary, and bad input as exit 2."""

from __future__ import annotations

import json

from tests.api.http_support import run_cli

FILES = ["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt", "calendar_dates.txt"]


def test_export_writes_the_seven_files_into_a_new_directory(capsys, tmp_path):
    target = tmp_path / "feed" / "gtfs"
    code, out, err = run_cli(capsys, "gtfs", "export", str(target), "--json", "--agency", "长春客运")
    assert code == 0, err
    assert json.loads(out) == {"directory": str(target), "files": FILES}
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)
    assert "长春客运" in (target / "agency.txt").read_text(encoding="utf-8")


def test_a_file_in_the_way_or_a_blank_agency_is_exit_2_naming_it(capsys, tmp_path):
    in_the_way = tmp_path / "feed.zip"
    in_the_way.write_text("not a directory")
    code, out, err = run_cli(capsys, "gtfs", "export", str(in_the_way))
    assert (code, out) == (2, "") and "DIR:" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "gtfs", "export", str(tmp_path / "x"), "--agency", "  ")
    assert code == 2 and "--agency:" in err
