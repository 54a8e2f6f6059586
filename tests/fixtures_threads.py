"""Running work in several threads at once, each with its own database connection."""

import threading
import time
from collections.abc import Callable

from django.db import connection


def run_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released together; each thread's result, or the
    exception it raised, in the order they finished.

    Every thread closes its connection; on PostgreSQL this waits for those sessions
    to end so that the test database can be dropped afterwards.
    """
    results: list[object] = []
    start = threading.Barrier(count)
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            start.wait()
            result = work(index)
        except BaseException as exc:  # reported to the test
            result = exc
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if connection.vendor == "postgresql":
        _wait_for_thread_sessions_to_end()
    return results


def errors_of(results: list[object]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException)]


def _wait_for_thread_sessions_to_end() -> None:
    """The server ends a closed connection's session a moment later."""
    deadline = time.monotonic() + 15
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
