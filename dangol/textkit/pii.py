"""Personal-data masking for Korean and English customer text.

Each detector prefers missing an odd case to masking things that are not
personal: order numbers (20241103-000123), prices (39,000원), dates and
tracking numbers must survive, because a masked comment still has to be
useful to the person reading it. Detectors run in a fixed priority order and
a later match never overlaps an earlier one.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["PiiKind", "PiiMatch", "find_pii", "mask_pii"]


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a literal block (keeps long word lists readable)."""
    return text.split()


PiiKind = Literal["email", "rrn", "card", "phone", "account", "name"]

_PLACEHOLDER: dict[str, str] = {
    "email": "[EMAIL]",
    "rrn": "[RRN]",
    "card": "[CARD]",
    "phone": "[PHONE]",
    "account": "[ACCOUNT]",
    "name": "[NAME]",
}


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of personal data found in a text (character span)."""

    kind: PiiKind
    start: int
    end: int


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# 주민등록번호 / 외국인등록번호: YYMMDD-GNNNNNN with a real month and day and a
# gender/century digit 1-8. The old checksum is not required: numbers issued
# since October 2020 no longer satisfy it.
_RRN = re.compile(
    r"(?<![\d-])\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?[-–]?\s?[1-8]\d{6}(?![\d-])"
)
_CARD = re.compile(
    r"(?<![\d-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -]?)\d{6}\2\d{5}"
    r"|\d{13,19})(?![\d-])"
)
_PHONE_KO = re.compile(
    r"(?<![\d-])(?:\+82[ -]?(?:0)?|0)(?:1[016789]|2|[3-6][1-5]|70|50[2-8])"
    r"(?:[ .-]?\d{3,4}[ .-]?\d{4}|\)\s?\d{3,4}[ .-]?\d{4})(?![\d-])"
)
_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+(?:[1-79]\d{0,2})[ .-]?(?:\(\d{1,4}\)|\d{1,4})(?:[ .-]?\d{2,4}){2,3}"
    r"|\(\d{3}\)\s?\d{3}[ .-]\d{4}|(?<![\d-])\d{3}[.-]\d{3}[.-]\d{4})(?![\d-])"
)
_DIGIT_GROUPS = re.compile(r"(?<![\d.,:/-])\d{2,6}(?:-\d{2,7}){1,3}(?![\d.,:/]|-\d)")
_DIGIT_RUN = re.compile(r"(?<![\d.,:/-])\d{10,14}(?![\d.,:/-])")
_BANK_CONTEXT = re.compile(
    r"(계좌|은행|입금|송금|통장|뱅크|예금주|국민|신한|우리|하나|농협|기업|카카오|토스|새마을|우체국|수협"
    r"|부산|대구|경남|광주|전북|제주|씨티|SC|account|bank|acct|routing|iban)",
    re.IGNORECASE,
)
_NOT_PERSONAL_CONTEXT = re.compile(
    r"(주문|송장|운송장|택배|배송|접수|예약|쿠폰|상품|모델|품번|사업자|영수증|승인|일련|시리얼|티켓"
    r"|order|tracking|invoice|ticket|model|serial|sku|ref|receipt|booking|confirmation)",
    re.IGNORECASE,
)
_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함"
    "변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉부가복태목형피두감음빈동온호범좌팽승간"
    "상시갈"
)
_NAME_KO = re.compile(
    r"(?<![가-힣A-Za-z0-9])((?:남궁|황보|제갈|선우|독고|사공|서문)[가-힣]{2}|["
    + _SURNAMES
    + r"][가-힣]{2})"
    r"(?=\s?(?:고객님|회원님|님|씨|선생님|매니저님|기사님|상담원님|대리님|과장님|팀장님|"
    r"실장님|점장님|부장님|주임님|원장님))"
)
# Three-syllable words that start like a surname and are often followed by 님.
_NOT_NAMES = frozenset(
    _words(
        """
        전문가 유튜버 도우미 주문자 구매자 판매자 진행자 사회자 관리자 운영자 담당자 작성자
        신청자 수령인 관리인 상담사 상담원 정비사 미용사 간호사 배달원 연구원 이사장 부사장
        주인장 안내원 경비원 기사분 소비자 이정도 그정도 저정도 이번달 이번주 선배님 후배님
        동생분 여러분 고객분 회원분 이용자 사용자 시청자 가입자 예약자 방문객 택배사 배송원
        설치기 수리기 설명서 사모님 할머님 할아버 어머님 아버님 장모님 장인어 시어머 시아버
        선생님 형님들
        """
    )
)
# Final syllables of adjectives in 관형형 (소중한, 고마운, 친절한) which precede 고객님.
_ADJECTIVE_ENDINGS = frozenset("한운던는할된을신인")
_ANY_DIGIT = re.compile(r"\d")
_NAME_EN = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _looks_like_date_prefix(digits: str) -> bool:
    """True for runs that start with YYYYMMDD (19xx/20xx), the shape of order numbers."""
    if len(digits) < 8 or digits[:2] not in ("19", "20"):
        return False
    month, day = int(digits[4:6]), int(digits[6:8])
    return 1 <= month <= 12 and 1 <= day <= 31


def _context_before(text: str, start: int, width: int = 16) -> str:
    return text[max(0, start - width) : start]


def find_pii(text: str) -> list[PiiMatch]:
    """Find personal data in ``text``; matches are sorted and never overlap."""
    found: list[PiiMatch] = []
    # Accepted spans kept sorted by start, so each overlap check is a bisection
    # (a megabyte of text can hold tens of thousands of matches).
    starts: list[int] = []
    ends: list[int] = []

    def add(kind: PiiKind, start: int, end: int) -> None:
        i = bisect.bisect_left(starts, start)
        if (i > 0 and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            return
        starts.insert(i, start)
        ends.insert(i, end)
        found.append(PiiMatch(kind, start, end))

    if "@" in text:
        for m in _EMAIL.finditer(text):
            add("email", m.start(), m.end())
    if _ANY_DIGIT.search(text):
        _find_numbers(text, add)
    for m in _NAME_KO.finditer(text):
        name = m.group(1)
        if name not in _NOT_NAMES and name[-1] not in _ADJECTIVE_ENDINGS:
            add("name", m.start(1), m.end(1))
    for m in _NAME_EN.finditer(text):
        add("name", m.start(1), m.end(1))
    found.sort(key=lambda p: p.start)
    return found


def _find_numbers(text: str, add: Callable[[PiiKind, int, int], None]) -> None:
    for m in _RRN.finditer(text):
        add("rrn", m.start(), m.end())
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if (
            13 <= len(digits) <= 19
            and _luhn_ok(digits)
            and not _looks_like_date_prefix(digits)
            and not _NOT_PERSONAL_CONTEXT.search(_context_before(text, m.start()))
        ):
            add("card", m.start(), m.end())
    for pattern in (_PHONE_KO, _PHONE_INTL):
        for m in pattern.finditer(text):
            add("phone", m.start(), m.end())
    for m in _DIGIT_GROUPS.finditer(text):
        groups = m.group().split("-")
        digits = "".join(groups)
        if not 10 <= len(digits) <= 14 or _looks_like_date_prefix(digits):
            continue
        # 4-4-4 groupings are parcel tracking numbers, not Korean bank accounts.
        if all(len(g) == 4 for g in groups):
            continue
        before = _context_before(text, m.start())
        if _NOT_PERSONAL_CONTEXT.search(before) and not _BANK_CONTEXT.search(before):
            continue
        add("account", m.start(), m.end())
    for m in _DIGIT_RUN.finditer(text):
        # A bare digit run is an account only when a bank or account is mentioned.
        before = _context_before(text, m.start(), 20)
        if _BANK_CONTEXT.search(before) and not _NOT_PERSONAL_CONTEXT.search(before):
            add("account", m.start(), m.end())


def mask_pii(text: str) -> str:
    """Replace personal data with placeholders such as ``[PHONE]`` and ``[NAME]``.

    Honorifics stay ("[NAME] 고객님", "Mr. [NAME]") so the sentence still reads.
    """
    matches = find_pii(text)
    if not matches:
        return text
    parts: list[str] = []
    pos = 0
    for p in matches:
        parts.append(text[pos : p.start])
        parts.append(_PLACEHOLDER[p.kind])
        pos = p.end
    parts.append(text[pos:])
    return "".join(parts)
