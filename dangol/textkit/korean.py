"""Korean-specific token handling on top of Kiwi morphemes.

Feature keys, negation scope, clause and sentence boundaries and noun
keywords are all read off the same morpheme list, so a comment is analysed by
Kiwi exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence

from dangol.textkit.morph import Morpheme

__all__ = [
    "clause_spans",
    "feature_keys",
    "is_etm_de",
    "keys_of",
    "negated",
    "noun_phrases",
    "sentence_spans",
]

# Predicates (and adjective roots such as 친절/XR) that negation can apply to.
_PREDICATE_TAGS = frozenset({"VV", "VA", "XR", "VX"})
_PRE_NEGATORS = frozenset({"안", "못"})
# Auxiliaries that negate the predicate before "-지": 좋지 않다, 좋지 못하다, 사지 마세요.
_POST_NEGATORS = frozenset({"않", "못하", "말", "못"})
# Connective endings that start a new clause with its own evaluation; causal
# and purposive endings (-어서, -니까, -게) are left alone because the
# evaluation usually follows them ("배송이 빨라서 좋았어요").
_CLAUSE_ENDINGS = frozenset(
    {
        "지만",
        "는데",
        "ᆫ데",
        "은데",
        "ᆫ데도",
        "는데도",
        "데",
        "으나",
        "나",
        "고",
        "며",
        "으며",
        "더니",
        "는데요",
        "지마는",
        "ᆫ지만",
    }
)
_CLAUSE_ADVERBS = frozenset(
    {
        "그런데",
        "하지만",
        "그러나",
        "근데",
        "그래도",
        "그렇지만",
        "다만",
        "반면",
        "반면에",
        "그치만",
        "근데요",
        "대신",
    }
)
_NOUN_TAGS = frozenset({"NNG", "NNP", "SL", "SH"})
# Frequent nouns that say nothing about what a comment is about.
_STOP_NOUNS = frozenset(
    {
        "것",
        "거",
        "수",
        "때",
        "점",
        "번",
        "개",
        "게",
        "데",
        "중",
        "뭐",
        "좀",
        "등",
        "분",
        "걸",
        "건",
        "쪽",
        "전",
        "후",
        "말",
        "곳",
        "정도",
        "생각",
        "사람",
        "이번",
        "다음",
        "진짜",
        "정말",
        "완전",
        "처음",
        "하나",
        "자체",
        "부분",
        "느낌",
        "지금",
        "오늘",
        "어제",
        "내일",
        "이거",
        "그거",
        "저거",
        "이건",
        "그냥",
        "나중",
        "계속",
        "최고",
        "최악",
        "만족",
        "대박",
        "별로",
        "감사",
        "추천",
        "구매",
        "주문",
        "제품",
        "상품",
        "물건",
        "경우",
        "이상",
        "이하",
        "문제",
        "정말로",
        "ㅋㅋ",
        "ㅎㅎ",
        "PHONE",
        "EMAIL",
        "RRN",
        "CARD",
        "ACCOUNT",
        "NAME",
    }
)
# Single-syllable nouns that do name a product attribute.
_SHORT_NOUNS = frozenset(
    {
        "옷",
        "색",
        "핏",
        "맛",
        "값",
        "폰",
        "앱",
        "빛",
        "천",
        "질",
        "향",
        "털",
        "솔",
        "양",
        "빵",
        "차",
        "책",
        "밥",
        "꽃",
        "펜",
        "줄",
        "끈",
        "창",
    }
)


def keys_of(morphs: Sequence[Morpheme]) -> list[str]:
    """Model keys of morphemes: ``form/TAG`` (Latin words lower-cased)."""
    return [m.form + "/" + m.tag if m.tag != "SL" else m.form.lower() + "/SL" for m in morphs]


def feature_keys(morphs: Sequence[Morpheme]) -> tuple[list[str], list[str]]:
    """Model keys of a morpheme run: ``form/TAG`` in order, plus negated predicates.

    The negated variant (``~좋/VA`` for 좋지 않다 or 안 좋다) lets the linear model
    learn the flipped polarity directly instead of from scattered bigrams.
    """
    keys = keys_of(morphs)
    flags = negated(morphs)
    bag = ["~" + keys[i] for i, f in enumerate(flags) if f]
    return keys, bag


def negated(morphs: Sequence[Morpheme]) -> list[bool]:
    """Which morphemes are predicates under negation (안/못 before, -지 않다/못하다 after)."""
    n = len(morphs)
    flags = [False] * n
    for i, m in enumerate(morphs):
        if m.tag == "MAG" and m.form in _PRE_NEGATORS:
            # 안 좋다, 못 먹다, 안 친절하다 (XR), 안 배송하다 (NNG + XSV).
            for j in range(i + 1, min(i + 3, n)):
                t = morphs[j].tag
                if t in _PREDICATE_TAGS or (
                    t == "NNG" and j + 1 < n and morphs[j + 1].tag in ("XSV", "XSA")
                ):
                    flags[j] = True
                    break
        elif m.form == "지" and m.tag == "EC" and i + 1 < n:
            nxt = morphs[i + 1]
            if nxt.tag in ("VX", "MAG") and nxt.form in _POST_NEGATORS:
                # Walk back over suffixes (하/XSA, 었/EP) to the predicate or root.
                for j in range(i - 1, max(i - 4, -1), -1):
                    if morphs[j].tag in _PREDICATE_TAGS or morphs[j].tag == "NNG":
                        flags[j] = True
                        break
    return flags


def is_etm_de(morphs: Sequence[Morpheme], i: int) -> bool:
    """Whether morpheme ``i`` is the 데 of "-은데/-는데" that Kiwi read as a noun.

    In "좋은데 배송이" Kiwi sometimes picks 좋/VA 은/ETM 데/NNB ("a good place")
    instead of the connective 은데/EC; followed by a space, it is the connective.
    """
    m = morphs[i]
    return (
        m.form == "데"
        and m.tag == "NNB"
        and i > 0
        and morphs[i - 1].tag == "ETM"
        and (i + 1 >= len(morphs) or morphs[i + 1].start > m.end)
    )


def clause_spans(morphs: Sequence[Morpheme]) -> list[tuple[int, int]]:
    """Split morphemes into clauses that may carry different sentiment.

    Returns ``(first, last_exclusive)`` morpheme index ranges. A clause ends at
    sentence punctuation, a final ending, a contrastive or listing connective
    (-지만, -는데, -고 unless an auxiliary follows, as in 사고 싶다) or a comma,
    and one starts at a contrastive adverb (하지만, 그런데, 그래도).
    """
    spans: list[tuple[int, int]] = []
    n = len(morphs)
    start = 0
    i = 0
    while i < n:
        m = morphs[i]
        cut_after = False
        if m.tag == "EF" or m.tag == "SF" or (m.tag == "SP" and m.form == ","):
            cut_after = True
        elif m.tag == "EC" and m.form in _CLAUSE_ENDINGS:
            cut_after = not (i + 1 < n and morphs[i + 1].tag == "VX")
        elif is_etm_de(morphs, i):
            cut_after = True
        elif m.tag == "MAJ" and m.form in _CLAUSE_ADVERBS and i > start:
            spans.append((start, i))
            start = i
        if cut_after:
            # Trailing punctuation and emoticons (ㅠㅠ, ^^) belong to the clause they close.
            j = i + 1
            while j < n and morphs[j].tag in ("SF", "SW", "SE", "W_EMOJI", "SP", "SSC"):
                j += 1
            spans.append((start, j))
            start = j
            i = j
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    return [s for s in spans if s[1] > s[0]]


def sentence_spans(morphs: Sequence[Morpheme]) -> list[tuple[int, int]]:
    """Character spans of sentences: a final ending or sentence punctuation closes one."""
    spans: list[tuple[int, int]] = []
    n = len(morphs)
    if n == 0:
        return spans
    start_char = morphs[0].start
    i = 0
    while i < n:
        m = morphs[i]
        if m.tag in ("EF", "SF"):
            j = i + 1
            while j < n and morphs[j].tag in ("SF", "SW", "SE", "W_EMOJI", "SSC"):
                j += 1
            # A final ending glued to the next word (e.g. "예뻐요진짜") is not a break.
            if j >= n or morphs[j].start > morphs[j - 1].end or m.tag == "SF":
                spans.append((start_char, morphs[j - 1].end))
                if j < n:
                    start_char = morphs[j].start
                i = j
                continue
        i += 1
    if not spans or spans[-1][1] < morphs[-1].end:
        spans.append((start_char, morphs[-1].end))
    return spans


def noun_phrases(morphs: Sequence[Morpheme], text: str) -> list[str]:
    """Noun keywords: runs of adjacent nouns written together become one phrase.

    "고객센터" (고객 + 센터) stays one keyword; nouns separated by a space stay
    separate because spaced sequences are mostly lists ("색상 사이즈 다 좋아요").
    Latin words (SL) never join Hangul nouns and are lower-cased.
    """
    runs: list[tuple[int, int, int, bool]] = []  # first index, last index, end char, latin
    for i, m in enumerate(morphs):
        if m.tag not in _NOUN_TAGS:
            continue
        latin = m.tag == "SL"
        if runs:
            first, last, end, was_latin = runs[-1]
            if last == i - 1 and m.start == end and i - first < 3 and latin == was_latin:
                runs[-1] = (first, i, m.end, latin)
                continue
        runs.append((i, i, m.end, latin))
    out: list[str] = []
    for first, last, end, latin in runs:
        phrase = text[morphs[first].start : end] if last > first else morphs[first].form
        if latin:
            phrase = phrase.lower()
        if _keep_noun(phrase) and phrase not in out:
            out.append(phrase)
    return out


def _keep_noun(phrase: str) -> bool:
    if phrase in _STOP_NOUNS or phrase.upper() in _STOP_NOUNS:
        return False
    if len(phrase) == 1:
        return phrase in _SHORT_NOUNS
    return not phrase.isdigit()
