"""The GC settings the API and worker apply once started (run in a child interpreter: they are
process-wide)."""

import subprocess
import sys


def test_tune_gc_freezes_the_startup_heap_and_enlarges_the_young_generation() -> None:
    probe = (
        "import gc; from iot_ingest.gc_tuning import YOUNG_THRESHOLD, tune_gc; "
        "before = gc.get_threshold(); tune_gc(); "
        "assert gc.get_freeze_count() > 1000, gc.get_freeze_count(); "
        "assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:]), gc.get_threshold(); "
        "print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
