"""`make test` beside `make run`: a test run keeps its broker, its beat schedule and its SQLite
files in a folder of its own, so that the devserver's worker never takes a test's message (it
once ran a test's dispatch) and a test never purges the devserver's queue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# The variables that choose these files: make run sets none of them.
CHOOSERS = ("BROKER_DIR", "TEST_DATABASE_NAME", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


def make_run_settings() -> dict[str, str]:
    """Where the settings put these files in a process that is not a test run, with the
    environment `make run` gives bin/devserver (DEBUG=1, nothing else chosen)."""
    env = {k: v for k, v in os.environ.items() if k not in CHOOSERS}
    code = (
        "import json; from django.conf import settings; print(json.dumps({"
        "'broker_dir': str(settings.BROKER_DIR),"
        "'beat_schedule': settings.CELERY_BEAT_SCHEDULE_FILENAME,"
        "'database': str(settings.DATABASES['default']['NAME'])}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "recovery.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_test_run_has_a_broker_folder_of_its_own_not_the_devservers():
    devserver = make_run_settings()
    assert Path(devserver["broker_dir"]) == ROOT / "var" / "broker"

    ours = Path(settings.BROKER_DIR).resolve()
    assert ours != Path(devserver["broker_dir"]).resolve()
    assert not ours.is_relative_to(ROOT / "var")
    # The workers the tests start (a copy of this environment) read the same folder.
    assert Path(os.environ["BROKER_DIR"]).resolve() == ours


def test_a_broker_dir_set_in_the_shell_does_not_reach_the_test_run(tmp_path):
    shared = tmp_path / "shared-broker"
    code = "from django.conf import settings; print(settings.BROKER_DIR)"
    # A process that loads the settings the way pytest does ("pytest" imported first).
    result = subprocess.run(
        [sys.executable, "-c", f"import pytest; {code}"],
        cwd=ROOT,
        env={
            **os.environ,
            "BROKER_DIR": str(shared),
            "DJANGO_SETTINGS_MODULE": "recovery.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip().splitlines()[-1]) != shared


def test_the_test_run_keeps_no_file_where_make_run_keeps_its_own():
    devserver = make_run_settings()
    assert devserver["beat_schedule"] != settings.CELERY_BEAT_SCHEDULE_FILENAME
    assert not Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).is_relative_to(ROOT)
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and "TEST_DATABASE_NAME" not in os.environ:
        # The test database is a file a worker process can open, in this run's folder.
        assert db["TEST"]["NAME"] != devserver["database"]
        assert not Path(db["TEST"]["NAME"]).is_relative_to(ROOT)
