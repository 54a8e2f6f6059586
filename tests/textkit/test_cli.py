"""`dangol text analyze` streaming (library side and the Django command)."""

import io
import json
import sys
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangol.textkit.cli import run_analyze


def _run(data: bytes, batch_size: int = 4) -> tuple[list[dict[str, object]], str, int]:
    out = io.BytesIO()
    err = io.StringIO()
    bad = run_analyze(io.BytesIO(data), out, err, batch_size=batch_size, progress=False)
    lines = out.getvalue().decode("utf-8").splitlines()
    return [json.loads(line) for line in lines], err.getvalue(), bad


def test_one_json_object_per_input_line_in_order() -> None:
    data = "배송이 너무 느려요\n\nGreat fit!\r\nㅋㅋㅋㅋ\n옷은 예뻐요".encode()
    records, err, bad = _run(data)
    assert bad == 0 and err == ""
    assert len(records) == 5
    assert records[0]["lang"] == "ko" and records[0]["sentiment"]["label"] == "negative"
    assert records[0]["themes"][0]["name"] == "delivery"
    assert records[1]["sentiment"] == {"label": "neutral", "score": 0.0}
    assert records[2]["lang"] == "en"
    assert records[4]["masked"] == "옷은 예뻐요"


def test_invalid_utf8_is_reported_with_its_line_number_and_the_run_continues() -> None:
    data = b"\xec\xa2\x8b\xec\x95\x84\xec\x9a\x94\n\xff\xfe bad\n\xea\xb0\n\xec\xb5\x9c\xec\x95\x85"
    records, err, bad = _run(data, batch_size=2)
    assert bad == 2
    assert "line 2: invalid UTF-8" in err and "line 3: invalid UTF-8" in err
    assert len(records) == 4
    assert "error" not in records[0]
    assert records[1]["line"] == 2 and "invalid UTF-8" in str(records[1]["error"])
    assert records[1]["sentiment"] == {"label": "neutral", "score": 0.0}
    assert records[3]["sentiment"]["label"] == "negative"


def test_progress_bar_goes_to_stderr_only() -> None:
    out, err = io.BytesIO(), io.StringIO()
    run_analyze(io.BytesIO(b"ok\n" * 10), out, err, batch_size=3, progress=True)
    assert len(out.getvalue().splitlines()) == 10
    assert "lines" in err.getvalue()


def _stdio(monkeypatch: pytest.MonkeyPatch, data: bytes) -> tuple[io.BytesIO, io.StringIO]:
    out, err = io.BytesIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    monkeypatch.setattr(
        sys, "stdout", SimpleNamespace(buffer=out, write=lambda s: None, flush=lambda: None)
    )
    monkeypatch.setattr(sys, "stderr", err)
    return out, err


def test_management_command_analyze(monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = _stdio(monkeypatch, "환불이 안 돼요\nnice\n".encode())
    call_command("text", "analyze", "--no-progress", "--batch-size", "1")
    records = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert [r["lang"] for r in records] == ["ko", "en"]
    assert records[0]["themes"][0]["name"] == "returns"


def test_management_command_rejects_bad_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    _stdio(monkeypatch, b"")
    with pytest.raises(CommandError, match="--batch-size"):
        call_command("text", "analyze", "--batch-size", "0")
    with pytest.raises(CommandError, match="--taxonomy"):
        call_command("text", "analyze", "--taxonomy", "/nonexistent/tax.json")
