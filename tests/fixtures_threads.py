"""Running work in several threads at once, each with its own database connection."""

import threading
import time
from collections.abc import Callable

from django.db import connection


def run_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released together; each thread's result, or the
    exception it raised, in the order they finished.

    Every thread closes its connection; on PostgreSQL this waits for those sessions
    to end so that the test database can be flushed and dropped afterwards.
    """
    results: list[object] = []
    sessions: list[int] = []
    start = threading.Barrier(count)
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            start.wait()
            result = work(index)
        except BaseException as exc:  # reported to the test
            result = exc
        finally:
            if connection.vendor == "postgresql" and connection.connection is not None:
                with lock:
                    sessions.append(connection.connection.info.backend_pid)
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if connection.vendor == "postgresql":
        _wait_for_sessions_to_end(sessions)
    return results


def errors_of(results: list[object]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException)]


def _wait_for_sessions_to_end(pids: list[int]) -> None:
    """The server ends a closed connection's session a moment later. Only the threads'
    own sessions are waited for: another client's (the live server's) may stay open."""
    if not pids:
        return
    deadline = time.monotonic() + 15
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)",
                           [pids])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
