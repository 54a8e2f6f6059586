"""The survey builder pages: create from a starter, add a branched question, publish."""

from django.test import Client

from dangol.surveys.models import Survey, Trigger
from tests.conftest import make_staff


def test_build_publish_and_edit_a_live_survey(owner_client: Client) -> None:
    created = owner_client.post("/surveys/new/", {"name": "분기 NPS", "kind": "nps",
                                                  "languages": ["ko", "en"]})
    survey = Survey.objects.get()
    assert created.url == f"/surveys/{survey.pk}/"
    assert [q["key"] for q in survey.draft["questions"]] == ["nps", "why_low", "comment"]

    added = owner_client.post(f"/surveys/{survey.pk}/questions/new/", {
        "key": "size", "type": "single", "text_ko": "사이즈는 맞았나요?",
        "text_en": "Did the size fit?", "required": "on",
        "choices": "yes | 네 | Yes\nno | 아니요 | No", "allow_other": "on",
        "show_question": "nps", "show_op": "gte", "show_value": "7",
    })
    assert added.status_code == 302
    survey.refresh_from_db()
    size = survey.draft["questions"][-1]
    assert size["show_if"] == [{"question": "nps", "op": "gte", "value": 7}]
    assert size["choices"][1] == {"key": "no", "label": {"ko": "아니요", "en": "No"}}

    owner_client.post(f"/surveys/{survey.pk}/publish/")
    survey.refresh_from_db()
    assert survey.status == "live" and survey.current_version.number == 1

    owner_client.post(f"/surveys/{survey.pk}/questions/size/action/", {"action": "delete"})
    owner_client.post(f"/surveys/{survey.pk}/publish/")
    survey.refresh_from_db()
    assert survey.current_version.number == 2
    assert survey.versions.get(number=1).definition["questions"][-1]["key"] == "size"


def test_a_question_missing_its_english_wording_blocks_publishing(owner_client) -> None:
    owner_client.post("/surveys/new/", {"name": "x", "kind": "custom",
                                        "languages": ["ko", "en"]})
    survey = Survey.objects.get()
    owner_client.post(f"/surveys/{survey.pk}/questions/new/", {
        "type": "csat", "text_ko": "만족하셨나요?", "required": "on"})
    page = owner_client.post(f"/surveys/{survey.pk}/publish/", follow=True)
    assert "q1.text: en" in page.content.decode()
    survey.refresh_from_db()
    assert survey.status == "draft"


def test_a_branch_on_a_later_question_is_refused_with_a_message(owner_client) -> None:
    owner_client.post("/surveys/new/", {"name": "x", "kind": "nps", "languages": ["ko"]})
    survey = Survey.objects.get()
    before = survey.draft
    page = owner_client.post(f"/surveys/{survey.pk}/questions/nps/", {
        "key": "nps", "type": "nps", "text_ko": "추천?", "required": "on",
        "end_op": "lte", "end_value": "abc"}, follow=True)
    assert page.status_code == 200
    survey.refresh_from_db()
    assert survey.draft == before


def test_settings_and_triggers(owner_client, nps_survey) -> None:
    page = owner_client.post(f"/surveys/{nps_survey.pk}/settings/", {
        "name": "NPS 2026", "purpose": "transactional", "one_per_page": "",
        "invitation_days": "14", "max_reminders": "2", "reminder_after_days": "5",
        "title_ko": "새 제목", "title_en": "New title", "anonymous_link": "on"})
    assert page.status_code == 302, page.content.decode()[:2000]
    nps_survey.refresh_from_db()
    assert nps_survey.title == {"ko": "새 제목", "en": "New title"}
    assert nps_survey.one_per_page is False and nps_survey.reminder_after_days == 5
    owner_client.post(f"/surveys/{nps_survey.pk}/distribute/triggers/",
                      {"kind": "after_order", "days": "3", "channel": "email"})
    assert Trigger.objects.get().days == 3
    assert owner_client.get(f"/surveys/{nps_survey.pk}/distribute/").status_code == 200


def test_an_agent_sees_surveys_but_cannot_build(nps_survey) -> None:
    client = Client()
    client.force_login(make_staff("agent"))
    assert client.get("/surveys/").status_code == 200
    assert client.get(f"/surveys/{nps_survey.pk}/").status_code == 200
    assert client.get("/surveys/new/").status_code == 403
    assert client.post(f"/surveys/{nps_survey.pk}/publish/").status_code == 403


def test_the_audience_count_follows_the_filters(owner_client, nps_survey) -> None:
    from tests.factories import CustomerFactory

    CustomerFactory(region="서울")
    CustomerFactory(region="부산")
    page = owner_client.get(f"/surveys/{nps_survey.pk}/distribute/count/",
                            {"channel": "email", "region": "서울"})
    assert "1" in page.content.decode()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def test_a_brand_kit_dresses_the_public_page(owner_client, nps_survey) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangol.surveys.models import BrandKit

    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    owner_client.post("/surveys/brands/", {"name": "단골상회", "primary_color": "#aa3300",
                                           "background_color": "#ffffff",
                                           "text_color": "#111111", "logo": logo})
    brand = BrandKit.objects.get()
    nps_survey.brand = brand
    nps_survey.save()
    page = Client().get(f"/s/{nps_survey.public_slug}/").content.decode()
    assert "--primary:#aa3300" in page
    served = Client().get(f"/s/{nps_survey.public_slug}/logo")
    assert served["Content-Type"] == "image/png" and served.content == PNG


def test_a_bad_colour_or_logo_is_refused(owner_client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangol.surveys.models import BrandKit

    owner_client.post("/surveys/brands/", {
        "name": "x", "primary_color": "red", "background_color": "#ffffff",
        "text_color": "#111111",
        "logo": SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")})
    assert BrandKit.objects.count() == 0


def test_invite_an_rfm_segment_from_the_page(owner_client, nps_survey, smtp_server,
                                             django_capture_on_commit_callbacks) -> None:
    from decimal import Decimal

    from django.utils import timezone

    from dangol.segments.models import CustomerScore
    from dangol.surveys.models import Invitation
    from tests.factories import CustomerFactory

    for email, segment in (("a@example.com", "champions"), ("b@example.com", "lost")):
        CustomerScore.objects.create(
            customer=CustomerFactory(email=email), frequency=5, recency_days=200, T_days=300,
            monetary=Decimal(50000), order_count=6, total_spent=Decimal(300000),
            last_order_at=timezone.now(), R=5, F=5, M=5, rfm_segment=segment,
            scored_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/surveys/{nps_survey.pk}/distribute/invite/",
                          {"channel": "email", "rfm_segment": "champions"})
    assert list(Invitation.objects.values_list("customer__email", flat=True)) == [
        "a@example.com"]
    assert [m["To"] for m in smtp_server.messages] == ["a@example.com"]
