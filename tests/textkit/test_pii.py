"""Personal-data masking on a table of real-looking Korean and English cases."""

import itertools

import pytest

from dangol.textkit import find_pii, mask_pii

MASKED = [
    ("010-1234-5678로 연락 주세요", "[PHONE]로 연락 주세요"),
    ("01098765432 전화 부탁드려요", "[PHONE] 전화 부탁드려요"),
    ("010 2345 6789 로 문자 주세요", "[PHONE] 로 문자 주세요"),
    ("연락처 010.3456.7890", "연락처 [PHONE]"),
    ("+82 10-1234-5678 해외에서 연락드려요", "[PHONE] 해외에서 연락드려요"),
    ("+82-10-9876-5432", "[PHONE]"),
    ("집 전화 02-123-4567 입니다", "집 전화 [PHONE] 입니다"),
    ("031-987-6543 으로 회신 바랍니다", "[PHONE] 으로 회신 바랍니다"),
    ("051)234-5678", "[PHONE]"),
    ("메일 hong.gildong@naver.com 으로 보내 주세요", "메일 [EMAIL] 으로 보내 주세요"),
    ("kim_minsu+shop@gmail.co.kr 확인 부탁", "[EMAIL] 확인 부탁"),
    ("주민번호 900101-1234567 입니다", "주민번호 [RRN] 입니다"),
    ("주민등록번호 0203154123456 맞나요", "주민등록번호 [RRN] 맞나요"),
    ("외국인등록번호 850715-5123456", "외국인등록번호 [RRN]"),
    ("카드 4111 1111 1111 1111 로 결제했어요", "카드 [CARD] 로 결제했어요"),
    ("카드번호 5500-0000-0000-0004", "카드번호 [CARD]"),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("신한 110-123-456789 로 입금했어요", "신한 [ACCOUNT] 로 입금했어요"),
    ("국민은행 123456-01-123456 예금주 홍길동", "국민은행 [ACCOUNT] 예금주 홍길동"),
    ("환불 계좌 3333011234567 입니다", "환불 계좌 [ACCOUNT] 입니다"),
    ("우리 1002-123-456789", "우리 [ACCOUNT]"),
    ("김민수 고객님 안녕하세요", "[NAME] 고객님 안녕하세요"),
    ("홍길동님 주문하신 상품이 출고되었습니다", "[NAME]님 주문하신 상품이 출고되었습니다"),
    ("박지원 씨가 친절하게 도와줬어요", "[NAME] 씨가 친절하게 도와줬어요"),
    ("남궁민수님께 전달 부탁드려요", "[NAME]님께 전달 부탁드려요"),
    ("이서연 매니저님 덕분에 해결했어요", "[NAME] 매니저님 덕분에 해결했어요"),
    ("Call me at (555) 123-4567 please", "Call me at [PHONE] please"),
    ("my number is +1 415-555-0132", "my number is [PHONE]"),
    ("Email john.doe@example.com for the invoice", "Email [EMAIL] for the invoice"),
    ("Mr. Smith at the counter was rude", "Mr. [NAME] at the counter was rude"),
    ("Ask for Dr. Emily Chen", "Ask for Dr. [NAME]"),
]

NOT_MASKED = [
    "주문번호 20241103-000123 확인 부탁드려요",
    "20241103-000123 언제 배송되나요",
    "가격 39,000원인데 쿠폰 쓰면 35,100원이에요",
    "총 1,234,567원 결제했어요",
    "2024-11-03에 주문했고 2024.11.05에 받았어요",
    "11/3 주문 11/5 도착",
    "송장번호 6012-3456-7890 조회가 안 돼요",
    "운송장 612345678901 조회해 주세요",
    "고객센터 1588-1234 연결이 안 돼요",
    "사업자등록번호 123-45-67890",
    "모델명 SM-G998N 색상 블랙 2개 주문",
    "오후 3:30에 도착했어요 10kg 박스",
    "소중한 고객님 감사합니다",
    "배송기사님이 친절하셨어요",
    "상담원님 답변 감사합니다",
    "전문가님 조언대로 했어요",
    "선생님 감사합니다",
    "사장님이 서비스 주셨어요",
    "카드 4111-1111-1111-1112 (유효하지 않은 번호)",
    "Order #20241103-000123 arrived late",
    "Paid $39.99 on 2024-11-03",
    "Tracking 1Z999AA10123456784 shows delivered",
    "I ordered 3 items for 120,000 won",
    "키 165cm 몸무게 52kg 인데 M 사이즈 잘 맞아요",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", NOT_MASKED)
def test_order_numbers_prices_dates_and_roles_are_not_masked(text: str) -> None:
    assert mask_pii(text) == text


def test_find_pii_reports_kinds_and_spans_without_overlap() -> None:
    text = "홍길동님 010-1234-5678 hong@test.com 900101-1234567"
    found = find_pii(text)
    assert [p.kind for p in found] == ["name", "phone", "email", "rrn"]
    assert text[found[1].start : found[1].end] == "010-1234-5678"
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start


def test_digits_with_an_impossible_birth_date_are_not_called_a_resident_number() -> None:
    # Month 13 cannot start a resident registration number.
    assert all(p.kind != "rrn" for p in find_pii("번호 901301-1234567"))


def test_masking_is_linear_on_a_megabyte() -> None:
    text = ("배송 빨라요 010-1234-5678 " * 40000)[:1_000_000]
    masked = mask_pii(text)
    assert "010-1234-5678" not in masked
    assert masked.count("[PHONE]") >= 39000
