"""The QR code of a survey's anonymous link, decoded by an independent reader (zxing-cpp)."""

import re

import numpy as np
import pytest
import zxingcpp
from django.test import Client

from dangol.surveys.models import Response, Survey


def _decode_svg(svg: str) -> list[str]:
    """Paint the SVG's unit squares on a bitmap and let zxing-cpp read it."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    cells = re.findall(r"M(\d+),(\d+)H", svg)
    assert cells, "no modules drawn"
    bitmap = np.full((size, size), 255, dtype=np.uint8)
    for x, y in cells:
        bitmap[int(y), int(x)] = 0
    scaled = np.kron(bitmap, np.ones((6, 6), dtype=np.uint8))
    return [code.text for code in zxingcpp.read_barcodes(scaled)]


def test_the_qr_code_opens_the_anonymous_link_marked_as_qr(nps_survey, settings) -> None:
    settings.DANGOL_PUBLIC_URL = "https://survey.dangol.example/"
    page = Client().get(f"/s/{nps_survey.public_slug}/qr.svg")
    assert page.status_code == 200
    assert page["Content-Type"] == "image/svg+xml"
    assert page["Content-Disposition"].startswith("inline;")
    assert _decode_svg(page.content.decode()) == [
        f"https://survey.dangol.example/s/{nps_survey.public_slug}/?via=qr"]


def test_the_download_link_saves_the_file(nps_survey) -> None:
    page = Client().get(f"/s/{nps_survey.public_slug}/qr.svg?download=1")
    assert page["Content-Disposition"] == (
        f'attachment; filename="survey-{nps_survey.public_slug}-qr.svg"')


def test_a_response_through_the_qr_link_counts_under_the_qr_channel(nps_survey) -> None:
    svg = Client().get(f"/s/{nps_survey.public_slug}/qr.svg").content.decode()
    path = re.sub(r"^https?://[^/]+", "", _decode_svg(svg)[0])
    client = Client()
    assert client.post(path, {"screen": "0", "q-nps": "10"}).status_code == 302
    assert Response.objects.get().channel == Response.Channel.QR


@pytest.mark.parametrize("slug", ["no-such-survey", None])
def test_no_code_without_an_open_anonymous_link(nps_survey, slug) -> None:
    if slug is None:
        Survey.objects.filter(pk=nps_survey.pk).update(anonymous_link=False)
        slug = nps_survey.public_slug
    assert Client().get(f"/s/{slug}/qr.svg").status_code == 404
