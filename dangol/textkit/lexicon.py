"""Hand-written polarity cues for shopping and service comments.

The learned models come from movie reviews (Korean) and long product reviews
(English). Comments about delivery, fit, refunds and staff use words those
corpora barely contain ("배송이 느려요", "오배송", "runs small"), so a small
lexicon adds a domain prior to the model's logit. Weights are in logit units;
negation flips them, intensifiers scale them, and cues before a contrastive
connective ("예쁜데 불편해요", "nice but") count less, because the clause after
it usually carries the verdict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from dangol.textkit import english, korean
from dangol.textkit.english import Word
from dangol.textkit.morph import Morpheme

__all__ = ["score_english", "score_korean"]


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a literal block (keeps long word lists readable)."""
    return text.split()


def _entries(spec: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in spec.split():
        key, weight = item.rsplit("=", 1)
        out[key] = float(weight)
    return out


# Keys are morpheme forms; a trailing "/TAG" restricts the part of speech.
_KO = _entries(
    """
    좋/VA=1.0 만족=1.3 최고=1.5 예쁘=1.2 이쁘=1.2 빠르=0.9 빨리=0.6 신속=1.0 친절=1.3 편하=1.0
    편리=1.0 편안=1.0 튼튼=1.0 깔끔=1.0 꼼꼼=1.0 추천=0.9 강추=1.5 재구매=1.0 감사=0.8 고맙=0.8
    저렴=0.7 착하=0.6 맛있=1.2 부드럽=0.8 훌륭=1.2 완벽=1.2 괜찮=0.7 무난=0.5 정확=0.6 대박=0.8
    굿=1.0 짱=1.0 감동=1.0 든든=0.8 가볍=0.5 따뜻=0.6 넉넉=0.6 선명=0.6 간편=0.8 간단=0.5 쉽=0.6
    예술=0.8 보람=0.8 실용=0.6 은은=0.5 보들보들=0.8 멀쩡=0.6 신선=0.8 해결=0.6 적당=0.5 사랑=0.6
    행복=0.8 기쁘=0.8 좋아하=0.9 만족스럽=1.3 좋아지=0.8 빨라지=0.8 정품=0.4 푹신=0.6 시원=0.5
    나쁘=-1.2 별로=-1.3 최악=-2.0 실망=-1.5 실망스럽=-1.5 불만=-1.0 불만족=-1.5 불친절=-1.6
    느리=-1.0 늦=-0.9 지연=-1.0 파손=-1.4 불량=-1.4 불량화소=-1.4 하자=-1.0 고장=-1.3 찢어지=-1.0
    깨지=-1.0 부러지=-1.0 망가지=-1.3 끊기=-0.9 끊어지=-0.8 터지=-0.7 떨어지=-0.5 냄새=-0.6
    얼룩=-0.8 보풀=-0.9 실밥=-0.6 짜증=-1.5 짜증나=-1.5 화나=-1.2 황당=-1.3 어이없=-1.4
    불편=-1.0 불쾌=-1.3 번거롭=-0.9 엉망=-1.5 엉성=-1.1 조잡=-1.2 허술=-1.0 싸구려=-1.1 비싸=-0.8
    아깝=-1.3 후회=-1.2 비추=-1.6 오류=-1.1 에러=-1.0 튕기=-1.1 꺼지=-0.7 반품=-0.7 환불=-0.4
    오배송=-1.6 누락=-1.3 변색=-1.1 퉁명=-1.2 퉁명스럽=-1.2 무시=-1.0 불안=-0.7 위험=-0.8
    아프=-0.8 따갑=-0.9 가렵=-0.9 뒤집어지=-0.9 덥=-0.3 무겁=-0.5 칙칙=-0.9 헐렁=-0.6 끼/VV=-0.3
    작/VA=-0.5 얇=-0.4 비치/VV=-0.5 독하=-0.9 심하=-0.8 망하=-1.5 실패=-1.2 거절=-1.1 헛걸음=-1.2
    싫=-1.0 쓰레기=-1.8 사기=-1.5 가짜=-1.2 짝퉁=-1.3 답답=-1.0 지저분=-1.1 더럽=-1.1 미루=-0.7
    까지/VV=-0.4 물르=-0.7 새/VV=-0.6 식/VV=-0.4 줄어들=-0.6 까슬까슬=-0.8 뜯기=-0.6 찌그러지=-1.0
    분실=-1.2 취소=-0.5 품절=-0.4 버리/VV=-0.5 흠집=-1.0 스크래치=-0.9 녹슬=-1.0 곰팡이=-1.3
    길/VA=-0.5 아니/VCN=-0.6 성의없=-1.3 무성의=-1.3 최저=-0.8 떨어뜨리=-0.3 싼/VA=-0.2
    돈아깝=-1.5 그닥=-0.9 그다지=-0.6
    """
)
# Two-morpheme cues, matched when the second follows within two morphemes.
_KO_PAIRS: dict[tuple[str, str], float] = {
    ("연락", "없"): -1.2,
    ("답변", "없"): -1.3,
    ("답", "없"): -1.2,
    ("답장", "없"): -1.2,
    ("재고", "없"): -0.8,
    ("문제", "없"): 1.0,
    ("불량", "없"): 1.6,
    ("하자", "없"): 1.6,
    ("흠", "없"): 1.2,
    ("자극", "없"): 1.0,
    ("기대", "이상"): 1.5,
    ("기대", "이하"): -1.5,
    ("마음", "들"): 1.2,
    ("맘", "들"): 1.2,
    ("잘", "맞"): 1.0,
    ("딱", "맞"): 1.0,
    ("잘", "받"): 0.6,
    ("잘", "쓰"): 0.8,
    ("잘", "먹"): 0.8,
    ("잘", "입"): 0.8,
    ("잘", "사"): 0.8,
    ("안", "오"): -0.8,
    ("안", "되"): -1.0,
    ("못", "쓰"): -1.2,
    ("안", "맞"): -1.0,
    ("돈", "아깝"): -0.5,
    ("다시", "안"): -1.2,
    ("다시는", "안"): -1.2,
    ("또", "사"): 0.9,
    ("또", "주문"): 0.9,
    ("또", "이용"): 0.9,
    ("다음", "이용"): 0.4,
    ("냄새", "안"): 1.6,
    ("말", "끊"): -1.0,
    ("색", "빠지"): -1.2,
    ("물", "빠지"): -1.2,
    ("털", "빠지"): -1.0,
    ("사진", "다르"): -1.2,
    ("설명", "다르"): -1.0,
    ("실물", "다르"): -0.8,
    ("이나", "걸리"): -1.0,
    ("거", "ᆯ"): -0.8,
    ("대충", "넣"): -1.0,
    ("줄", "길"): -0.9,
    ("가치", "있"): 1.0,
}
_KO_NEG_PREFIXES = frozenset({"불", "비", "무", "미", "몰"})
_KO_INTENSIFIERS = frozenset(
    _words(
        """
        너무 정말 진짜 완전 엄청 매우 아주 넘 겁나 무척 굉장히 제일 가장 훨씬 되게 많이 넘나 참 대
        """
    )
)
_KO_CONTRAST = frozenset({"지만", "는데", "ᆫ데", "은데", "데", "으나", "나", "ᆫ지만"})
_KO_CONTRAST_ADVERBS = frozenset({"그런데", "하지만", "그러나", "근데", "그렇지만", "그치만"})

_EN = _entries(
    """
    great=1.2 good=0.9 love=1.3 loved=1.3 loves=1.2 excellent=1.5 perfect=1.4 perfectly=1.2
    amazing=1.4 awesome=1.4 best=1.2 fantastic=1.4 wonderful=1.3 happy=1.0 pleased=1.1 fast=0.8
    quick=0.8 quickly=0.7 friendly=1.2 helpful=1.2 polite=1.0 kind=0.9 attentive=1.1 delicious=1.4
    tasty=1.2 fresh=0.8 comfortable=1.1 comfy=1.0 soft=0.6 sturdy=1.0 solid=0.7 durable=1.0
    easy=0.8 smooth=0.8 smoothly=0.8 clean=0.7 spotless=1.2 beautiful=1.2 gorgeous=1.3 lovely=1.2
    nice=0.9 recommend=1.0 recommended=1.0 worth=0.8 value=0.4 early=0.6 accurate=0.7 reliable=1.0
    satisfied=1.2 exceeded=1.2 impressed=1.2 premium=0.6 warm=0.5 generous=0.9 cozy=0.8
    heavenly=1.3 fixed=0.5 solved=0.7 thanks=0.6 thank=0.6 welcoming=1.0 stylish=0.9 responsive=0.8
    favorite=1.1 favourite=1.1 glad=1.0 enjoy=0.9 enjoyed=1.0 works=0.6 worked=0.4 safe=0.4
    bad=-1.2 terrible=-1.6 horrible=-1.6 awful=-1.6 worst=-1.8 poor=-1.2 poorly=-1.2
    disappointed=-1.5 disappointing=-1.5 unhappy=-1.3 slow=-1.0 late=-1.0 delayed=-1.0 rude=-1.6
    ignored=-1.1 dismissive=-1.3 unhelpful=-1.3 cold=-0.7 bland=-1.1 broken=-1.4 broke=-1.3
    damaged=-1.4 crushed=-1.1 cracked=-1.2 defective=-1.4 cheap=-0.5 flimsy=-1.3 thin=-0.4
    overpriced=-1.3 expensive=-0.7 waste=-1.5 refund=-0.5 return=-0.3 returned=-0.6 crash=-1.1
    crashing=-1.2 crashes=-1.2 buggy=-1.2 bug=-0.8 error=-0.9 dirty=-1.2 stained=-1.2 musty=-1.1
    stale=-1.2 wilted=-1.2 soggy=-1.1 burnt=-1.1 overcooked=-1.0 salty=-0.7 muffled=-0.9
    distorted=-1.0 nightmare=-1.6 confusing=-0.9 missing=-0.9 avoid=-1.4 uncomfortable=-1.2
    ugly=-1.3 hurt=-1.0 hurts=-1.0 headache=-1.0 overpowering=-0.9 rusted=-1.2 overheats=-1.2
    leaked=-1.0 leaks=-1.0 faded=-1.0 mediocre=-1.0 overrated=-1.2 refused=-1.2 never=-0.4
    wrong=-1.0 complaint=-0.6 complaints=-0.8 canned=-0.6 hate=-1.5 hated=-1.5 useless=-1.6
    unusable=-1.6 junk=-1.5 garbage=-1.6 scam=-1.6 fake=-1.2 smelled=-0.6 smells=-0.2 impolite=-1.5
    messy=-1.1 inedible=-1.6 stopped=-0.9 small=-0.3 tiny=-0.5 big=-0.2 loose=-0.5 tight=-0.5
    forever=-0.4 sadly=-0.9 unfortunately=-1.0 meh=-1.0 worse=-1.1 timing=-0.2 waited=-0.7
    waiting=-0.6
    """
)
_EN_PAIRS: dict[tuple[str, str], float] = {
    ("took", "forever"): -1.3,
    ("takes", "forever"): -1.3,
    ("runs", "small"): -1.2,
    ("runs", "large"): -1.0,
    ("runs", "big"): -1.0,
    ("fell", "apart"): -1.5,
    ("true", "to"): 0.8,
    ("on", "time"): 0.8,
    ("no", "complaints"): 1.6,
    ("no", "problems"): 1.4,
    ("no", "issues"): 1.4,
    ("no", "questions"): 1.0,
    ("never", "received"): -1.2,
    ("never", "arrived"): -1.2,
    ("never", "again"): -1.2,
    ("every", "penny"): 1.0,
    ("waste", "of"): -0.6,
    ("well", "made"): 1.2,
    ("well", "packed"): 1.0,
    ("well", "organized"): 1.0,
    ("not", "worth"): -0.6,
    ("one", "star"): -1.5,
    ("five", "stars"): 1.5,
    ("5", "stars"): 1.5,
    ("1", "star"): -1.5,
    ("went", "wrong"): -0.4,
    ("out", "of"): 0.0,
    ("come", "back"): 0.9,
    ("order", "again"): 1.0,
    ("buy", "again"): 1.0,
    ("be", "back"): 0.9,
}
_EN_INTENSIFIERS = frozenset(
    _words(
        """
        very really so super extremely totally absolutely incredibly truly highly way
        """
    )
)
_EN_CONTRAST = frozenset({"but", "however", "although", "though", "yet", "unfortunately"})

_EMOTICONS = (
    (re.compile(r"[ㅠㅜ]{1,}"), -0.8),
    (re.compile(r"ㅡㅡ|-_-|;;"), -1.0),
    (re.compile(r"\^\^|\^_\^|\^\.\^"), 0.8),
    (re.compile(r"ㅎㅎ"), 0.5),
    (re.compile(r"[♡♥❤😊😍🥰😄😁🙂👍👏💕💯✨]"), 1.0),
    (re.compile(r"[😡😠👎💢😤🤬😞😩]"), -1.2),
    (re.compile(r"[😭😢😥]"), -0.8),
    (re.compile(r"(?<![\w:])[:;]-?\)|:D\b"), 0.8),
    (re.compile(r"(?<![\w:]):-?\("), -0.9),
)


_EMOTICON_ANY = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _EMOTICONS))


def _emoticon_score(text: str) -> float:
    if not _EMOTICON_ANY.search(text):
        return 0.0
    total = 0.0
    for pattern, weight in _EMOTICONS:
        if pattern.search(text):
            total += weight
    return total


_KO_OPEN_TAGS = ("VA", "VV", "XR", "NNG", "MAG", "NNP", "VX")


def _ko_by_key() -> dict[str, float]:
    """Lexicon keyed like the model keys (``form/TAG``), so one lookup per morpheme."""
    out: dict[str, float] = {}
    for key, w in _KO.items():
        if "/" in key:
            out[key] = w
        else:
            for tag in _KO_OPEN_TAGS:
                out.setdefault(f"{key}/{tag}", w)
    return out


_KO_KEYED = _ko_by_key()
_KO_PAIR_NEXT: dict[str, dict[str, float]] = {}
for (_first, _second), _w in _KO_PAIRS.items():
    _KO_PAIR_NEXT.setdefault(_first, {})[_second] = _w
_INTENSIFY, _CONTRAST = 1, 2
_KO_MARKERS = {f"{f}/{t}": _INTENSIFY for f in _KO_INTENSIFIERS for t in ("MAG", "MAJ")}
_KO_MARKERS.update({f"{f}/EC": _CONTRAST for f in _KO_CONTRAST})
_KO_MARKERS.update({f"{f}/MAJ": _CONTRAST for f in _KO_CONTRAST_ADVERBS})
_KO_NEG_PREFIX_KEYS = frozenset(f"{f}/XPN" for f in _KO_NEG_PREFIXES)


_NO_INFO: tuple[float, int, dict[str, float] | None] = (0.0, 0, None)
_ko_info_cache: dict[str, tuple[float, int, dict[str, float] | None]] = {}


def _ko_info(key: str) -> tuple[float, int, dict[str, float] | None]:
    """(weight, marker, pair continuations) of a morpheme key, memoised.

    One dictionary lookup per morpheme in the hot loop instead of three.
    """
    info = _ko_info_cache.get(key)
    if info is None:
        form = key.rsplit("/", 1)[0]
        found = (_KO_KEYED.get(key, 0.0), _KO_MARKERS.get(key, 0), _KO_PAIR_NEXT.get(form))
        info = found if found != (0.0, 0, None) else _NO_INFO
        if len(_ko_info_cache) < 200_000:
            _ko_info_cache[key] = info
    return info


def score_korean(
    morphs: Sequence[Morpheme],
    text: str,
    flags: Sequence[bool] | None = None,
    keys: Sequence[str] | None = None,
) -> float:
    """Lexicon logit of a Korean unit (a comment or one clause of it).

    ``flags`` (negation flags) and ``keys`` (``korean.keys_of``) of ``morphs``
    may be passed when the caller already has them.
    """
    if flags is None:
        flags = korean.negated(morphs)
    if keys is None:
        keys = korean.keys_of(morphs)
    boost_left = 0
    contrast_at = -1
    hits: list[tuple[int, float]] = []
    n = len(morphs)
    cached = _ko_info_cache.get
    for i, key in enumerate(keys):
        w, marker, following = cached(key) or _ko_info(key)
        if marker == _INTENSIFY:
            boost_left = 3
            continue
        if marker == _CONTRAST or (key == "데/NNB" and korean.is_etm_de(morphs, i)):
            contrast_at = i
        if following is not None:
            for j in range(i + 1, min(i + 4, n)):
                pw = following.get(morphs[j].form)
                if pw is not None:
                    w = pw
                    break
        if w:
            if i > 0 and keys[i - 1] in _KO_NEG_PREFIX_KEYS:
                # 불만족, 불친절, 비호감: the prefix turns a good word bad.
                w = -abs(w)
            if flags[i]:
                # 안 좋다 is clearly negative (and the film-trained model tends to
                # miss it); 나쁘지 않다 is only mildly positive.
                w = -1.3 * w if w > 0 else -0.5 * w
            if boost_left:
                w *= 1.5
            hits.append((i, w))
        if boost_left:
            boost_left -= 1
    if not hits and not _EMOTICON_ANY.search(text):
        return 0.0
    total = _discount_before_contrast(hits, contrast_at) + _emoticon_score(text)
    return total * _length_damping(n, 30)


def _length_damping(n_tokens: int, short: int) -> float:
    """1 for comment-length units, shrinking as 1/sqrt(length) beyond ``short`` tokens.

    The model's features are L2-normalised, so its logit does not grow with
    length; without this a long review's many cue hits would swamp it.
    """
    return 1.0 if n_tokens <= short else math.sqrt(short / n_tokens)


def _discount_before_contrast(hits: list[tuple[int, float]], contrast_at: int) -> float:
    """Sum of cue weights, those before a contrast counting 0.6 if cues follow it.

    A clause that ends with its contrastive connective ("품질은 좋은데") keeps
    full weight: the verdict that outweighs it lies outside the clause.
    """
    if contrast_at < 0 or not any(i > contrast_at for i, _ in hits):
        return sum(w for _, w in hits)
    return sum(0.6 * w if i < contrast_at else w for i, w in hits)


def score_english(words: Sequence[Word], text: str, flags: Sequence[bool] | None = None) -> float:
    """Lexicon logit of an English unit (a comment or one clause of it).

    ``flags`` are the negation flags of ``words`` if the caller has them.
    """
    if flags is None:
        flags = english.negated(words)
    boost_left = 0
    contrast_at = -1
    hits: list[tuple[int, float]] = []
    n = len(words)
    for i, wd in enumerate(words):
        f = wd.form
        if f in _EN_INTENSIFIERS:
            boost_left = 2
            continue
        if f in _EN_CONTRAST:
            contrast_at = i
        w = _EN.get(f, 0.0)
        if i + 1 < n:
            w = _EN_PAIRS.get((f, words[i + 1].form), w)
        if f == "too" and i + 1 < n and _EN.get(words[i + 1].form, 0.0) <= 0:
            # "too small", "too much plastic": excess is a complaint.
            w = -0.6
        if w:
            if flags[i]:
                w = -0.9 * w if w > 0 else -0.5 * w
            if boost_left:
                w *= 1.4
            hits.append((i, w))
        if boost_left:
            boost_left -= 1
    total = _discount_before_contrast(hits, contrast_at) + _emoticon_score(text)
    return total * _length_damping(n, 20)
