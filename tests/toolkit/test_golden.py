"""``nexus golden``: notebooks re-executed in place, with progress per notebook and per cell."""

from __future__ import annotations

import nbformat

from nexus import golden


def test_golden_records_outputs_and_numbers_each_notebook(tmp_path, capsys):
    paths = []
    for name in ("a", "b"):
        cells = [nbformat.v4.new_code_cell(f"print('{name}', {n})") for n in range(3)]
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[*cells, nbformat.v4.new_markdown_cell("x")]),
                       path)
        paths.append(path)
    assert golden.run([str(p) for p in paths]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith(f"✓ [1/2] {paths[0]}") and lines[1].startswith(f"✓ [2/2] {paths[1]}")
    assert "make nbdiff" in lines[2]
    assert "cell" not in out.err  # not a terminal: no progress bar in a log
    stored = nbformat.read(paths[1], as_version=4).cells[2].outputs
    assert stored[0]["text"] == "b 2\n"
