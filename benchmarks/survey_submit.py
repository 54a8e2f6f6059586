"""Completed survey responses per second through Dangol's real HTTP endpoint, against a raw one.

    .venv/bin/python -m benchmarks.survey_submit [--quick] [--databases sqlite,postgres]

For each database, a fresh data folder (and, for PostgreSQL, a fresh database
``dangol_bench``) gets a published one-screen NPS survey. Two servers run side
by side on free ports, each with the same number of gunicorn worker processes:

* **ours**: the server ``dangol run`` starts (``dangol run --no-worker``: the
  same gunicorn command, WSGI app and worker count as ``make run``), answering
  ``POST /s/<slug>/`` exactly as a respondent's browser posts the survey form;
  the per-address rate limit is raised for the run
  (``DANGOL_SURVEY_RATE_LIMIT_PER_HOUR``), because every request comes from
  127.0.0.1; the same server's widget endpoint (``POST /w/<slug>/responses``,
  JSON, one call per response) is measured beside it as ``ours_widget``;
* **raw**: :func:`raw_app` below, a bare WSGI app that parses the same form
  and inserts the same Response and Answer rows (and counts the completion on
  the survey row) with plain SQL in one transaction.

Load is a number of concurrent clients, each sending the next response as
soon as the previous one is answered (keep-alive ``http.client``; gunicorn's
sync workers close the connection after each response, so each request
connects). Each response has its own comment, so none is refused as a
duplicate. The raw endpoint's load is raised (1, 2, 4, … clients) until its
throughput stops growing by 10 %: the smallest load within 10 % of its best is
its saturation load. There, ours and raw are measured again, alternately, and
compared (ours is swept the same way too, for its own best throughput).
Prints one JSON object last: ``responses_per_s``, ``p99_ms`` and ``ratio``
(ours / raw) per database. Goal: ratio >= 0.5 and p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/dangol_bench"
LOADS = (1, 2, 4, 8, 16, 32)
ROOT = Path(__file__).resolve().parent.parent

SURVEY = {"questions": [
    {"key": "nps", "type": "nps",
     "text": {"ko": "저희 가게를 친구에게 추천하시겠어요?",
              "en": "How likely are you to recommend us to a friend?"}},
    {"key": "comment", "type": "text", "required": False,
     "text": {"ko": "이유를 알려 주세요.", "en": "Tell us why."}},
]}


# The raw endpoint ----------------------------------------------------------------
# Runs inside gunicorn workers: stdlib only, plus the database driver.

_local = threading.local()


def _raw_connection() -> tuple[Any, str]:
    """This worker's connection and its parameter style; opened once."""
    if getattr(_local, "conn", None) is None:
        url = os.environ.get("DANGOL_DATABASE_URL", "")
        if url.startswith("postgres"):
            import psycopg

            _local.conn = psycopg.connect(url.replace("postgres://", "postgresql://", 1))
            _local.kind = "postgres"
        else:
            import sqlite3

            path = Path(os.environ["DANGOL_DATA_DIR"]) / "dangol.sqlite3"
            _local.conn = sqlite3.connect(path, timeout=20, isolation_level=None)
            _local.conn.execute("PRAGMA journal_mode=WAL")
            _local.conn.execute("PRAGMA synchronous=NORMAL")
            _local.conn.execute("PRAGMA busy_timeout=10000")
            _local.kind = "sqlite"
    return _local.conn, _local.kind


def _raw_insert(nps: int, comment: str) -> None:
    conn, kind = _raw_connection()
    survey_id = int(os.environ["BENCH_SURVEY_ID"])
    version_id = int(os.environ["BENCH_VERSION_ID"])
    now = datetime.now(UTC)
    answers = json.dumps({"nps": nps, "comment": comment}, ensure_ascii=False)
    key = uuid.uuid4().hex[:24]
    if kind == "sqlite":
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute("BEGIN IMMEDIATE")
        try:
            cursor = conn.execute(
                "INSERT INTO surveys_response (created_at, updated_at, survey_id, version_id, "
                "language, channel, status, answers, screen, resume_key, client_hash, "
                "address_hash, answers_hash, completed_at, rewards) "
                "VALUES (?, ?, ?, ?, 'ko', 'link', 'completed', ?, 0, ?, '', '', '', ?, '[]')",
                (stamp, stamp, survey_id, version_id, answers, key, stamp))
            response_id = cursor.lastrowid
            conn.executemany(
                "INSERT INTO surveys_answer (response_id, survey_id, question, row, number, "
                "choice, text) VALUES (?, ?, ?, '', ?, '', ?)",
                [(response_id, survey_id, "nps", nps, ""),
                 (response_id, survey_id, "comment", None, comment)])
            conn.execute("UPDATE surveys_survey SET completed_count = completed_count + 1 "
                         "WHERE id = ?", (survey_id,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return
    with conn.transaction(), conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO surveys_response (created_at, updated_at, survey_id, version_id, "
            "language, channel, status, answers, screen, resume_key, client_hash, "
            "address_hash, answers_hash, completed_at, rewards) "
            "VALUES (%s, %s, %s, %s, 'ko', 'link', 'completed', %s::jsonb, 0, %s, '', '', '', %s, "
            "'[]'::jsonb) RETURNING id",
            (now, now, survey_id, version_id, answers, key, now))
        response_id = cursor.fetchone()[0]
        cursor.executemany(
            "INSERT INTO surveys_answer (response_id, survey_id, question, row, number, "
            "choice, text) VALUES (%s, %s, %s, '', %s, '', %s)",
            [(response_id, survey_id, "nps", nps, ""),
             (response_id, survey_id, "comment", None, comment)])
        cursor.execute("UPDATE surveys_survey SET completed_count = completed_count + 1 "
                       "WHERE id = %s", (survey_id,))


def raw_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """POST a form with q-nps and q-comment: store it, answer 302 as ours does."""
    if environ["REQUEST_METHOD"] != "POST":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"raw endpoint\n"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    form = parse_qs(environ["wsgi.input"].read(length).decode())
    try:
        nps = int(form["q-nps"][0])
        if not 0 <= nps <= 10:
            raise ValueError(nps)
    except (KeyError, ValueError):
        start_response("422 Unprocessable Entity", [("Content-Type", "text/plain")])
        return [b"q-nps: choose a number from 0 to 10\n"]
    _raw_insert(nps, form.get("q-comment", [""])[0].strip()[:2000])
    start_response("302 Found", [("Location", environ["PATH_INFO"] + "?lang=ko"),
                                 ("Content-Length", "0")])
    return [b""]


# Setting up a database -----------------------------------------------------------

def setup_survey() -> dict[str, Any]:
    """Migrate the configured database and publish the survey (runs in a child process)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from dangol.accounts.actors import Actor
    from dangol.accounts.models import User
    from dangol.accounts.permissions import Role
    from dangol.surveys.services.surveys import create_survey

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench@example.com", "a-long-password-1", name="Bench",
                                     role=Role.OWNER)
    survey = create_survey(actor=Actor(user=owner), name="Benchmark NPS", definition=SURVEY,
                           publish=True, one_per_page=False)
    return {"slug": survey.public_slug, "survey_id": survey.pk,
            "version_id": survey.current_version_id}


def _fresh_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _postgres_reachable() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def _count_completed(env: dict[str, str], survey_id: int) -> int:
    url = env.get("DANGOL_DATABASE_URL", "")
    sql = ("SELECT COUNT(*) FROM surveys_response "
           f"WHERE survey_id = {int(survey_id)} AND status = 'completed'")
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            return conn.execute(sql).fetchone()[0]
    import sqlite3

    with sqlite3.connect(Path(env["DANGOL_DATA_DIR"]) / "dangol.sqlite3") as conn:
        return conn.execute(sql).fetchone()[0]


# Servers and load -------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    # The access log goes to stdout, as with dangol run; errors are kept to show.
    errors = Path(env["DANGOL_DATA_DIR"]) / f"server-{port}.log"
    with errors.open("w") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(errors.read_text()[-3000:], file=sys.stderr)
            raise SystemExit(f"server stopped at start: {' '.join(command)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start: {' '.join(command)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def drive(port: int, path: str, clients: int, seconds: float, tag: str, *,
          widget: bool = False) -> dict[str, Any]:
    """``clients`` concurrent respondents posting completed answers for ``seconds``.

    The survey form (answered 302), or with ``widget`` the widget's JSON (answered 201).
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(number: int) -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json" if widget
                   else "application/x-www-form-urlencoded",
                   "User-Agent": f"dangol-bench/{tag}/{number}"}
        start_gate.wait()
        sent = 0
        while time.perf_counter() < stop_at[0]:
            sent += 1
            comment = f"{tag}-{number}-{sent}"
            body = (json.dumps({"answers": {"nps": sent % 11, "comment": comment},
                                "language": "ko"}) if widget
                    else f"screen=0&lang=ko&q-nps={sent % 11}&q-comment={comment}")
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                reply = conn.getresponse()
                reply.read()
                ok = reply.status == (201 if widget else 302)
            except OSError:
                conn.close()
                ok = False
            if ok:
                latencies[number].append(time.perf_counter() - began)
            else:
                failures[number] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(x for per_client in latencies for x in per_client)
    done = len(every)

    def pct(p: float) -> float:
        return round(every[min(done - 1, int(p * done))] * 1000, 1) if done else 0.0

    return {"clients": clients, "responses": done, "failed": sum(failures),
            "responses_per_s": round(done / elapsed, 1), "p50_ms": pct(0.50),
            "p99_ms": pct(0.99)}


def _warm_up(port: int, path: str, workers: int) -> list[dict[str, Any]]:
    """Send responses until every worker has loaded the app (a first request takes seconds)."""
    rounds = []
    for attempt in range(15):
        rounds.append(drive(port, path, workers, 2.0, f"warm{attempt}"))
        if rounds[-1]["responses"] > 10 * workers and rounds[-1]["p99_ms"] < 500:
            break
    return rounds


def _sweep(port: int, path: str, seconds: float, label: str) -> list[dict[str, Any]]:
    """Raise the load (1, 2, 4, … clients) until throughput grows by less than 10 %."""
    results: list[dict[str, Any]] = []
    for clients in LOADS:
        result = drive(port, path, clients, seconds, f"sweep{port}-{clients}")
        print(f"{label}, {clients} clients: {result['responses_per_s']}/s "
              f"p99 {result['p99_ms']} ms", file=sys.stderr)
        results.append(result)
        best = max((r["responses_per_s"] for r in results[:-1]), default=0)
        if best and result["responses_per_s"] < 1.1 * best:
            break
    return results


def saturation(results: list[dict[str, Any]]) -> int:
    """The smallest load whose throughput is within 10 % of the best seen."""
    best = max(r["responses_per_s"] for r in results)
    return min(r["clients"] for r in results if r["responses_per_s"] >= 0.9 * best)


def run_database(database: str, *, quick: bool, workers: int, postgres_url: str) -> dict:
    seconds = 3.0 if quick else 10.0
    with tempfile.TemporaryDirectory(prefix=f"dangol-bench-{database}-") as data_dir:
        env = os.environ | {
            "DANGOL_DATA_DIR": data_dir, "DANGOL_LOG_LEVEL": "WARNING",
            "DANGOL_SECRET_KEY": "benchmark-" + uuid.uuid4().hex,
            "DANGOL_SURVEY_RATE_LIMIT_PER_HOUR": str(10**9),
            "DANGOL_WEB_WORKERS": str(workers), "DANGOL_DEBUG": "false",
        }
        if database == "postgres":
            _fresh_postgres(postgres_url)
            env["DANGOL_DATABASE_URL"] = postgres_url
        else:
            env.pop("DANGOL_DATABASE_URL", None)
        made = subprocess.run([sys.executable, "-m", "benchmarks.survey_submit", "--setup"],
                              env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        if made.returncode != 0:
            print(made.stderr, file=sys.stderr)
            raise SystemExit(f"{database}: set-up failed")
        survey = json.loads(made.stdout.strip().splitlines()[-1])
        env |= {"BENCH_SURVEY_ID": str(survey["survey_id"]),
                "BENCH_VERSION_ID": str(survey["version_id"])}
        path = f"/s/{survey['slug']}/"
        bin_dir = Path(sys.executable).parent
        ours_port, raw_port = _free_port(), _free_port()
        ours = _start([str(bin_dir / "dangol"), "run", "--no-worker", "--port", str(ours_port),
                       "--web-workers", str(workers)], env, ours_port)
        raw = _start([str(bin_dir / "gunicorn"), "benchmarks.survey_submit:raw_app",
                      "--bind", f"127.0.0.1:{raw_port}", "--workers", str(workers),
                      "--access-logfile", "-", "--graceful-timeout", "10"], env, raw_port)
        try:
            warm = _warm_up(ours_port, path, workers) + _warm_up(raw_port, path, workers)
            sweep = _sweep(raw_port, path, seconds, f"{database} raw")
            load = saturation(sweep)
            ours_sweep = _sweep(ours_port, path, seconds, f"{database} ours")
            # Alternate the two, so a busy moment on the machine hits both alike.
            runs: dict[str, list[dict[str, Any]]] = {"ours": [], "raw": [], "widget": []}
            widget_path = f"/w/{survey['slug']}/responses"
            for round_ in range(2):
                for name, port, where in (("ours", ours_port, path), ("raw", raw_port, path),
                                          ("widget", ours_port, widget_path)):
                    runs[name].append(drive(port, where, load, seconds, f"{name}{round_}",
                                            widget=name == "widget"))
        finally:
            _stop(ours)
            _stop(raw)
        stored = _count_completed(env, survey["survey_id"])

    def merged(results: list[dict[str, Any]]) -> dict[str, Any]:
        return {"responses_per_s": round(sum(r["responses_per_s"] for r in results)
                                         / len(results), 1),
                "p50_ms": max(r["p50_ms"] for r in results),
                "p99_ms": max(r["p99_ms"] for r in results),
                "failed": sum(r["failed"] for r in results)}

    mine, bare = merged(runs["ours"]), merged(runs["raw"])
    sent = sum(r["responses"] for r in warm + sweep + ours_sweep + runs["ours"] + runs["raw"]
               + runs["widget"])
    widget = merged(runs["widget"])
    return {
        "database": database, "workers": workers, "seconds_per_step": seconds,
        "raw_sweep": sweep, "saturation_clients": load, "ours_sweep": ours_sweep,
        "ours_best_responses_per_s": max(r["responses_per_s"] for r in ours_sweep),
        "ours": mine, "raw": bare,
        "responses_per_s": mine["responses_per_s"], "p99_ms": mine["p99_ms"],
        "ratio": round(mine["responses_per_s"] / bare["responses_per_s"], 3),
        "ours_widget": widget,
        "ratio_widget": round(widget["responses_per_s"] / bare["responses_per_s"], 3),
        "stored_matches_sent": stored == sent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per step instead of 10 s")
    parser.add_argument("--databases", default="",
                        help="sqlite,postgres (default: both when PostgreSQL is reachable)")
    parser.add_argument("--postgres", action="store_true", help="only PostgreSQL")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("DANGOL_WEB_WORKERS", "3")),
                        help="gunicorn workers for both servers (as dangol run)")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        print(json.dumps(setup_survey()))
        return
    if args.postgres:
        databases = ["postgres"]
    elif args.databases:
        databases = args.databases.split(",")
    else:
        databases = ["sqlite"] + (["postgres"] if _postgres_reachable() else [])
    results = [run_database(d, quick=args.quick, workers=args.workers,
                            postgres_url=args.postgres_url) for d in databases]
    for r in results:
        print(f"{r['database']}: ours {r['responses_per_s']}/s p99 {r['p99_ms']} ms, raw "
              f"{r['raw']['responses_per_s']}/s p99 {r['raw']['p99_ms']} ms, ratio {r['ratio']} "
              f"at {r['saturation_clients']} clients; widget "
              f"{r['ours_widget']['responses_per_s']}/s p99 {r['ours_widget']['p99_ms']} ms",
              file=sys.stderr)
    print(json.dumps({
        "benchmark": "survey_submit", "quick": args.quick,
        "goal": "ratio >= 0.5 and p99 < 100 ms at the raw endpoint's saturation load",
        "results": results,
        "goal_met": all(r["ratio"] >= 0.5 and r["p99_ms"] < 100
                        and r["ours"]["failed"] == 0 for r in results),
    }))


if __name__ == "__main__":
    main()
