"""QR codes for a survey's anonymous link, for receipts, tables and posters.

The code encodes ``DANGOL_PUBLIC_URL/s/<slug>/?via=qr``, so responses that
come through it are counted under the channel "qr".
"""

from __future__ import annotations

import qrcode
import qrcode.constants
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from qrcode.image.svg import SvgPathFillImage

from dangol.surveys import selectors
from dangol.surveys.models import Survey
from dangol.surveys.public import public_url


def survey_qr_url(survey: Survey) -> str:
    """The address the survey's QR code opens."""
    return settings.DANGOL_PUBLIC_URL.rstrip("/") + public_url(survey) + "?via=qr"


def qr_svg(data: str) -> str:
    """An SVG QR code of ``data`` on white (error correction M; 1 mm per module)."""
    code = qrcode.QRCode(image_factory=SvgPathFillImage, box_size=10, border=4,
                         error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")


@require_safe
def survey_qr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    """``/s/<slug>/qr.svg``; ``?download=1`` asks the browser to save it."""
    survey = selectors.find_survey_by_slug(slug)
    if survey is None or not survey.anonymous_link:
        return HttpResponse(status=404)
    response = HttpResponse(qr_svg(survey_qr_url(survey)), content_type="image/svg+xml")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="survey-{slug}-qr.svg"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
