"""Run a race in threads that can never hang the suite: every join has a timeout, and a stuck thread fails the test."""

import threading

import pytest
from django.db import connections

RACE_TIMEOUT = 30  # seconds; a healthy race here settles in well under one


def run_together(*targets, timeout=RACE_TIMEOUT):
    """Start one daemon thread per target, wait for all of them, and fail if any is still running after ``timeout``.

    Each thread closes its own database connections when it ends. Exceptions a target raises are the
    target's business (catch them inside it if the test inspects them); a stuck thread is a failure, not a hang.
    """

    def run(target):
        try:
            target()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck:
        pytest.fail(f"race did not settle within {timeout} s: {len(stuck)} thread(s) still running", pytrace=False)
