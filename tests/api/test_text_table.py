"""The command line's text tables line up in Chinese as in English (a Chinese character takes two columns)."""

from __future__ import annotations

from api.text_table import shown_width, table


def test_columns_line_up_under_chinese_headers_and_cells():
    rows = [{"coach": "c07", "place": "长春服务点"}, {"coach": "c19", "place": "Siping"}]
    lines = table(rows, ["coach", "place"], ["车辆", "地点"]).splitlines()
    # the second column starts at the same terminal column on every line
    second = ["地点", "-" * shown_width("长春服务点"), "长春服务点", "Siping"]
    starts = [shown_width(line[: line.rindex(cell)]) for line, cell in zip(lines, second, strict=True)]
    assert len(set(starts)) == 1, lines
    assert shown_width("长春") == 4 and shown_width("c07") == 3
