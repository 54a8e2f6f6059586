"""Start Dangol: the web server and the background worker, together, until Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dangol.accounts.models import User


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the background worker (Celery with its scheduler)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("DANGOL_HOST", "127.0.0.1"))
        parser.add_argument("--web-workers", type=int,
                            default=int(os.environ.get("DANGOL_WEB_WORKERS", "3")))
        parser.add_argument("--no-worker", action="store_true",
                            help="run only the web server (workers run elsewhere)")

    def handle(self, *args: Any, port: int, host: str, web_workers: int, no_worker: bool,
               **options: Any) -> None:
        bin_dir = os.path.dirname(sys.executable)
        web = [os.path.join(bin_dir, "gunicorn"), "dangol.config.wsgi:application",
               "--bind", f"{host}:{port}", "--workers", str(web_workers),
               "--access-logfile", "-", "--graceful-timeout", "10", "--preload"]
        worker = [sys.executable, "-m", "celery", "-A", "dangol.config", "worker", "--beat",
                  "--loglevel", "INFO", "--concurrency", "2",
                  "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]
        processes = [subprocess.Popen(web)]  # noqa: S603  (fixed argument lists)
        if not no_worker:
            processes.append(subprocess.Popen(worker))  # noqa: S603
        self.stdout.write(self.style.SUCCESS(f"Dangol is running at http://{host}:{port}/"))
        if User.objects.filter(email="demo@dangol.local").exists():
            self.stdout.write("Demo staff login: demo@dangol.local / dangol-demo")
        self.stdout.write("API docs: /api/docs · Stop with Ctrl-C")
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [p.args[0] for p in processes if p.returncode not in (0, -15, None)]
        if failed and not stopping:
            raise SystemExit(f"Stopped because a process ended: {failed}")
