import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_code_passes_ruff():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    out = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]


def test_every_csv_file_is_written_through_the_formula_safe_writer():
    # yiri/lib/spreadsheet.py quotes cells a spreadsheet would evaluate (CSV injection).
    # Reading a spreadsheet (imports: csv.reader, openpyxl's load_workbook) is not writing.
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "yiri").rglob("*.py")
                 if p.name != "spreadsheet.py"
                 and any(s in p.read_text() for s in ("csv.writer(", "csv.DictWriter(", "Workbook(",
                                                      "openpyxl.Workbook", "import Workbook"))]
    assert offenders == []
