"""dangol.stats stays free of Django and of the other Dangol apps."""

from __future__ import annotations

import subprocess
import sys


def test_importing_stats_loads_no_django_and_no_other_app() -> None:
    code = (
        "import sys, dangol.stats, dangol.stats.simulate, dangol.stats.csvfiles\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'"
        " or (m.startswith('dangol.') and not m.startswith('dangol.stats')))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""
