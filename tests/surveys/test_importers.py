"""Importing Qualtrics (.qsf) and LimeSurvey (.lss) files into draft surveys."""

import copy
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from dangol.accounts.actors import Actor
from dangol.accounts.permissions import Role
from dangol.core.errors import DomainError, PermissionDenied, ValidationFailed
from dangol.surveys.importers import ImportFileError, assemble, match_languages, parse_file
from dangol.surveys.importers.text import KeyMaker, plain_text
from dangol.surveys.models import Survey
from dangol.surveys.services.imports import import_survey
from dangol.surveys.services.surveys import publish_survey
from tests.conftest import make_staff

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _import(owner, name, content=None):
    content = (DATA / name).read_bytes() if content is None else content
    return import_survey(actor=Actor(user=owner), filename=name, content=content)


def _questions(survey):
    return {q["key"]: q for q in survey.draft["questions"]}


def _refused(owner, name, content=None):
    before = Survey.objects.count()
    with pytest.raises(DomainError) as caught:
        _import(owner, name, content)
    assert Survey.objects.count() == before
    return caught.value


# Qualtrics ---------------------------------------------------------------------


def test_qualtrics_file_becomes_a_draft_with_the_questions_dangol_has(owner):
    result = _import(owner, "coffee_visit.qsf")

    survey = result.survey
    assert result.source == "qualtrics"
    assert survey.status == Survey.Status.DRAFT and survey.kind == Survey.Kind.CUSTOM
    assert survey.name == "Haneul Coffee visit survey"
    assert survey.languages == ["en", "ko"] and survey.default_language == "en"
    assert [(q["key"], q["type"]) for q in survey.draft["questions"]] == [
        ("nps", "nps"), ("q2", "single"), ("q3", "multiple"), ("q4", "matrix"),
        ("store", "single"), ("q5", "text")]
    questions = _questions(survey)
    nps = questions["nps"]
    assert nps["text"] == {
        "en": "How likely are you to recommend Haneul Coffee to a friend or colleague?",
        "ko": "하늘커피를 친구나 동료에게 추천할 가능성은 얼마나 됩니까?"}
    assert nps["required"] is True
    assert nps["low_label"] == {"en": "Not at all likely", "ko": "전혀 추천하지 않음"}
    reason = questions["q2"]
    assert [c["key"] for c in reason["choices"]] == ["1", "2", "3"]
    assert reason["choices"][2]["label"] == {"en": "Staff & service", "ko": "직원과 서비스"}
    assert reason["allow_other"] is True and reason["required"] is False
    assert reason["show_if"] == [{"question": "nps", "op": "lte", "value": 6}]
    order = questions["q3"]
    assert order["text"]["en"] == "What did you order today?\nSelect all that apply."
    assert [c["label"]["ko"] for c in order["choices"]] == ["커피", "차", "디저트", "없음"]
    assert order["allow_other"] is True and order["randomize"] is True
    assert order["show_if"] == [{"question": "q2", "op": "neq", "value": "2"}]
    matrix = questions["q4"]
    assert matrix["scale_max"] == 5
    assert [r["label"]["ko"] for r in matrix["rows"]] == ["맛", "청결", "직원의 친절"]
    assert matrix["low_label"] == {"en": "Very dissatisfied", "ko": "매우 불만족"}
    assert matrix["high_label"] == {"en": "Very satisfied", "ko": "매우 만족"}
    assert questions["store"]["end_if"] == [{"question": "store", "op": "eq", "value": "3"}]
    assert questions["q5"]["show_if"] == []


def test_qualtrics_import_lists_what_it_could_not_map(owner):
    result = _import(owner, "coffee_visit.qsf")

    left_out = {(u.source_id, u.source_type) for u in result.unmapped if u.key is None}
    assert left_out == {("QID6", "RO/DND/TX"), ("QID7", "HeatMap/HeatMap"), ("QID8", "DB/TB"),
                        ("QID9", "Slider/HSLIDER"), ("es", "language")}
    lost = {u.source_id: u for u in result.unmapped if u.key is not None}
    assert "Or" in lost["QID5"].reason and lost["QID5"].key == "q5"
    assert "If Price Is Selected Or Staff & service Is Selected" in lost["QID5"].reason
    assert "excludes the other choices" in lost["QID3"].reason
    # The question in Qualtrics' trash is not part of the survey.
    assert all(u.source_id != "QID10" for u in result.unmapped)
    assert "Old question nobody uses" not in json.dumps(result.survey.draft)


def test_imported_qualtrics_survey_can_be_published_in_both_languages(owner):
    result = _import(owner, "coffee_visit.qsf")

    version = publish_survey(actor=Actor(user=owner), survey=result.survey)

    assert version.number == 1
    assert result.survey.title == {"en": "Haneul Coffee visit survey",
                                   "ko": "Haneul Coffee visit survey"}


def test_display_logic_on_a_later_question_is_reported_not_kept(owner):
    document = json.loads((DATA / "coffee_visit.qsf").read_text())
    questions = {e["Payload"]["QuestionID"]: e["Payload"]
                 for e in document["SurveyElements"] if e["Element"] == "SQ"}
    # Show the NPS question only when the later store question is answered "Gangnam".
    questions["QID1"]["DisplayLogic"] = {
        "0": {"0": {"LogicType": "Question", "QuestionID": "QID11", "Operator": "Selected",
                    "ChoiceLocator": "q://QID11/SelectableChoice/1",
                    "LeftOperand": "q://QID11/SelectableChoice/1", "Type": "Expression",
                    "Description": "If Gangnam Is Selected"}, "Type": "If"},
        "Type": "BooleanExpression", "inPage": False}

    result = _import(owner, "later.qsf", json.dumps(document).encode())

    assert _questions(result.survey)["nps"].get("show_if", []) == []
    [note] = [u for u in result.unmapped if u.source_id == "QID1"]
    assert note.key == "nps" and "QID11" in note.reason


@pytest.mark.parametrize(("expression", "show_if"), [
    ({"ChoiceLocator": "q://QID1/SelectableChoice/9", "Operator": "Selected"},
     [{"question": "nps", "op": "eq", "value": 9}]),
    ({"ChoiceLocator": "q://QID1/SelectedChoicesRecode", "Operator": "GreaterThan",
      "RightOperand": "8"}, [{"question": "nps", "op": "gt", "value": 8}]),
    ({"ChoiceLocator": "q://QID1/SelectedChoicesRecode", "Operator": "LessThan",
      "RightOperand": "soon"}, None),
    ({"LogicType": "EmbeddedField", "LeftOperand": "Tier", "Operator": "EqualTo",
      "RightOperand": "Gold"}, None),
])
def test_display_logic_on_the_nps_answer(owner, expression, show_if):
    document = json.loads((DATA / "coffee_visit.qsf").read_text())
    [reason] = [e["Payload"] for e in document["SurveyElements"]
                if e["Element"] == "SQ" and e["Payload"]["QuestionID"] == "QID2"]
    reason["DisplayLogic"] = {
        "0": {"0": {"LogicType": "Question", "QuestionID": "QID1", "Type": "Expression",
                    "Description": "If NPS test", **expression}, "Type": "If"},
        "Type": "BooleanExpression", "inPage": False}

    result = _import(owner, "nps_logic.qsf", json.dumps(document).encode())

    notes = [u for u in result.unmapped if u.source_id == "QID2"]
    if show_if is None:
        assert _questions(result.survey)["q2"].get("show_if", []) == []
        assert len(notes) == 1 and "If NPS test" in notes[0].reason
    else:
        assert _questions(result.survey)["q2"]["show_if"] == show_if
        assert notes == []


# LimeSurvey --------------------------------------------------------------------


def test_limesurvey_file_becomes_a_draft_in_its_base_and_additional_language(owner):
    result = _import(owner, "cafe_visit.lss")

    survey = result.survey
    assert result.source == "limesurvey"
    assert survey.languages == ["ko", "en"] and survey.default_language == "ko"
    assert survey.title == {"ko": "하늘커피 방문 만족도 조사", "en": "Haneul Coffee visit survey"}
    assert survey.name == "하늘커피 방문 만족도 조사"
    assert survey.intro == {"ko": "소중한 의견을 들려주세요.", "en": "Tell us what you think."}
    assert survey.thank_you == {"ko": "감사합니다!", "en": "Thank you!"}
    assert [(q["key"], q["type"]) for q in survey.draft["questions"]] == [
        ("q1", "rating"), ("q2", "single"), ("q3", "multiple"), ("q4", "matrix"),
        ("q5", "text"), ("email", "text"), ("q9", "single"), ("q10", "text")]
    questions = _questions(survey)
    overall = questions["q1"]
    assert overall["scale_max"] == 5 and overall["required"] is True
    assert overall["text"] == {"ko": "오늘 방문에 전반적으로 얼마나 만족하셨습니까?",
                               "en": "Overall, how satisfied were you with today's visit?"}
    assert overall["help"]["en"] == "1 is very dissatisfied, 5 is very satisfied."
    assert questions["q2"]["show_if"] == [{"question": "q1", "op": "lt", "value": 4}]
    assert questions["q2"]["allow_other"] is True
    assert [c["label"]["en"] for c in questions["q2"]["choices"]] == [
        "Price", "Waiting time", "Staff"]
    services = questions["q3"]
    assert [c["key"] for c in services["choices"]] == ["SQ001", "SQ002", "SQ003"]
    assert services["randomize"] is True and services["allow_other"] is True
    assert services["show_if"] == [{"question": "q2", "op": "answered"}]
    array = questions["q4"]
    assert array["scale_max"] == 4
    assert [r["label"]["ko"] for r in array["rows"]] == ["음식 맛", "매장 청결", "대기 시간"]
    assert array["low_label"] == {"ko": "나쁨", "en": "Poor"}
    assert questions["q5"]["show_if"] == [{"question": "q3", "op": "eq", "value": "SQ002"}]
    assert questions["email"]["max_length"] == 120
    # The group's relevance equation applies to each question in the group.
    assert questions["q10"]["show_if"] == [{"question": "q1", "op": "gt", "value": 3}]


def test_limesurvey_import_lists_what_it_could_not_map(owner):
    result = _import(owner, "cafe_visit.lss")

    left_out = {(u.source_id, u.source_type) for u in result.unmapped if u.key is None}
    assert left_out == {("Q7", "N (numerical input)"), ("Q8", "R (ranking)")}
    [lost_logic] = [u for u in result.unmapped if u.source_id == "Q9"]
    assert lost_logic.key == "q9" and "Q1 == 5 or Q1 == 4" in lost_logic.reason
    assert _questions(result.survey)["q9"].get("show_if", []) == []


def _old_lss(relevance: str) -> bytes:
    """A LimeSurvey 2/3 export: texts in the question rows, one row per language."""
    rows = []
    for language, first, second in (("de", "Wie zufrieden?", "Warum?"),
                                    ("en", "How satisfied?", "Why?")):
        rows.append(f"<row><qid>1</qid><parent_qid>0</parent_qid><gid>1</gid><type>5</type>"
                    f"<title>Q1</title><question>{first}</question><mandatory>Y</mandatory>"
                    f"<question_order>1</question_order><language>{language}</language>"
                    f"<relevance>1</relevance></row>")
        rows.append(f"<row><qid>2</qid><parent_qid>0</parent_qid><gid>1</gid><type>S</type>"
                    f"<title>Q2</title><question>{second}</question><mandatory>N</mandatory>"
                    f"<question_order>2</question_order><language>{language}</language>"
                    f"<relevance><![CDATA[{relevance}]]></relevance></row>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><document>'
        "<LimeSurveyDocType>Survey</LimeSurveyDocType><DBVersion>366</DBVersion>"
        "<languages><language>de</language><language>en</language></languages>"
        "<groups><rows><row><gid>1</gid><group_order>0</group_order><language>de</language>"
        "<group_name>A</group_name><grelevance></grelevance></row></rows></groups>"
        f"<questions><rows>{''.join(rows)}</rows></questions>"
        "<surveys><rows><row><sid>1</sid><language>de</language>"
        "<additional_languages>en</additional_languages></row></rows></surveys>"
        "</document>").encode()


@pytest.mark.parametrize(("relevance", "show_if"), [
    ("{Q1 < 7}", [{"question": "q1", "op": "lt", "value": 7}]),
    ("((Q1.NAOK >= 2))", [{"question": "q1", "op": "gte", "value": 2}]),
    ("is_empty(Q1)", [{"question": "q1", "op": "not_answered"}]),
    ('Q1 == "3" and !is_empty(Q1)', [{"question": "q1", "op": "eq", "value": 3},
                                     {"question": "q1", "op": "answered"}]),
])
def test_simple_relevance_equations_become_show_if(owner, relevance, show_if):
    result = _import(owner, "old.lss", _old_lss(relevance))

    assert _questions(result.survey)["q2"]["show_if"] == show_if
    # German has no place in Dangol: English stays, German is listed.
    assert result.survey.languages == ["en"]
    assert _questions(result.survey)["q2"]["text"] == {"en": "Why?"}
    assert ("de", "language") in {(u.source_id, u.source_type) for u in result.unmapped}


@pytest.mark.parametrize("relevance", ["Q1 == 3 || Q1 == 4", "Q2 > 1", "Q9 == 1",
                                       "Q1 > 2 and count(Q1) > 0"])
def test_relevance_dangol_cannot_express_is_reported(owner, relevance):
    result = _import(owner, "old.lss", _old_lss(relevance))

    assert _questions(result.survey)["q2"].get("show_if", []) == []
    [note] = [u for u in result.unmapped if u.source_id == "Q2"]
    assert note.key == "q2" and relevance in note.reason


def test_piped_answers_in_a_text_are_kept_and_reported(owner):
    content = _old_lss("1").replace(b"Why?", b"Why {Q1}?")

    result = _import(owner, "piped.lss", content)

    assert _questions(result.survey)["q2"]["text"] == {"en": "Why {Q1}?"}
    [note] = [u for u in result.unmapped if u.source_id == "Q2"]
    assert note.key == "q2" and "placeholder is kept" in note.reason


def test_limesurvey_yes_no_question_becomes_a_choice_of_yes_and_no(owner):
    content = _old_lss("1").replace(b"<type>S</type>", b"<type>Y</type>")

    result = _import(owner, "yes_no.lss", content)

    question = _questions(result.survey)["q2"]
    assert question["type"] == "single"
    assert [(c["key"], c["label"]) for c in question["choices"]] == [
        ("Y", {"en": "Yes"}), ("N", {"en": "No"})]


def test_limesurvey_2_export_with_texts_in_the_rows_imports_choices_per_language(owner):
    def answer(code, order, en, ko):
        return "".join(
            f"<row><qid>5</qid><code>{code}</code><answer>{text}</answer>"
            f"<sortorder>{order}</sortorder><language>{lang}</language><scale_id>0</scale_id>"
            "</row>" for lang, text in (("en", en), ("ko", ko)))

    def question(qid, parent, kind, title, en, ko, order):
        return "".join(
            f"<row><qid>{qid}</qid><parent_qid>{parent}</parent_qid><gid>1</gid>"
            f"<type>{kind}</type><title>{title}</title><question>{text}</question>"
            f"<question_order>{order}</question_order><language>{lang}</language></row>"
            for lang, text in (("en", en), ("ko", ko)))

    content = (
        '<?xml version="1.0" encoding="UTF-8"?><document>'
        "<LimeSurveyDocType>Survey</LimeSurveyDocType><DBVersion>145</DBVersion>"
        "<languages><language>en</language><language>ko</language></languages>"
        "<questions><rows>"
        + question(5, 0, "L", "visit", "How often?", "얼마나 자주?", 1)
        + question(6, 0, "M", "used", "What did you use?", "무엇을 이용했나요?", 2)
        + "</rows></questions><subquestions><rows>"
        + question(7, 6, "T", "wifi", "Wi-Fi", "와이파이", 1)
        + question(8, 6, "T", "socket", "Power socket", "콘센트", 2)
        + "</rows></subquestions><answers><rows>"
        + answer("D", 1, "Daily", "매일") + answer("W", 2, "Weekly", "매주")
        + "</rows></answers></document>").encode()

    result = _import(owner, "ls2.lss", content)

    questions = _questions(result.survey)
    assert [(c["key"], c["label"]) for c in questions["visit"]["choices"]] == [
        ("D", {"en": "Daily", "ko": "매일"}), ("W", {"en": "Weekly", "ko": "매주"})]
    assert [(c["key"], c["label"]["ko"]) for c in questions["used"]["choices"]] == [
        ("wifi", "와이파이"), ("socket", "콘센트")]
    assert questions["used"]["text"] == {"en": "What did you use?", "ko": "무엇을 이용했나요?"}
    assert result.survey.default_language == "en"


# Refusals ----------------------------------------------------------------------


def test_truncated_qsf_is_refused_with_the_reason(owner):
    error = _refused(owner, "truncated.qsf")

    assert error.code == "import_malformed"
    assert "not valid JSON" in error.message and "line" in error.message


def test_xml_that_is_not_a_limesurvey_export_is_refused(owner):
    error = _refused(owner, "quexml_export.lss")

    assert error.code == "import_malformed"
    assert "<questionnaire>" in error.message


def test_limesurvey_group_export_is_refused(owner):
    content = (b'<?xml version="1.0"?><document><LimeSurveyDocType>Group</LimeSurveyDocType>'
               b"</document>")

    error = _refused(owner, "group.lss", content)

    assert error.code == "import_malformed" and "Group" in error.message


def test_xml_entity_expansion_is_refused(owner):
    content = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
               b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
               b"<document><LimeSurveyDocType>&b;</LimeSurveyDocType></document>")

    error = _refused(owner, "bomb.lss", content)

    assert error.code == "import_malformed" and "refused for safety" in error.message


def test_file_without_questions_is_refused(owner):
    error = _refused(owner, "no_questions.qsf")

    assert error.code == "import_empty"


def test_format_is_told_by_the_content_before_the_name(owner):
    result = _import(owner, "cafe_visit.qsf", (DATA / "cafe_visit.lss").read_bytes())

    assert result.source == "limesurvey" and result.survey.languages == ["ko", "en"]


def test_unreadable_file_with_a_known_extension_is_malformed(owner):
    error = _refused(owner, "export.qsf", b"PK\x03\x04 zipped")

    assert error.code == "import_malformed" and "not valid JSON" in error.message


def test_file_of_another_kind_is_refused(owner):
    error = _refused(owner, "answers.csv", b"id,score\n1,9\n")

    assert error.code == "import_format" and "answers.csv" in error.message


def test_survey_in_no_language_dangol_offers_is_refused(owner):
    content = _old_lss("1").replace(b"<language>en</language>", b"<language>fr</language>")
    content = content.replace(b"<additional_languages>en<", b"<additional_languages>fr<")

    error = _refused(owner, "german.lss", content)

    assert error.code == "import_language"
    assert "de, fr" in error.message


def test_survey_of_only_unmappable_questions_is_refused_naming_each(owner):
    document = json.loads((DATA / "coffee_visit.qsf").read_text())
    document["SurveyElements"] = [
        e for e in document["SurveyElements"]
        if e["Element"] != "SQ" or e["Payload"]["QuestionID"] in {"QID6", "QID9"}]

    error = _refused(owner, "sliders.qsf", json.dumps(document).encode())

    assert isinstance(error, ValidationFailed) and error.code == "import_nothing_mapped"
    assert [p.field for p in error.problems] == ["QID6", "QID9"]
    assert "Dangol has no question of this kind" in error.problems[0].message


def test_staff_who_may_not_build_surveys_cannot_import(db):
    analyst = make_staff(Role.ANALYST)

    with pytest.raises(PermissionDenied):
        _import(analyst, "coffee_visit.qsf")
    assert Survey.objects.count() == 0


def _paths(node, prefix=()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, value in items:
        yield from _paths(value, (*prefix, key))


QSF_SAMPLE = json.loads((DATA / "coffee_visit.qsf").read_text())
QSF_PATHS = [p for p in _paths(QSF_SAMPLE) if p]
# The parts that give a file its shape: change them more often than plain texts.
SHAPING_KEYS = {"BlockElements", "Flow", "Choices", "ChoiceOrder", "Answers", "AnswerOrder",
                "Language", "DisplayLogic", "SkipLogic", "Validation", "Randomization",
                "ColumnLabels"}
QSF_SHAPES = [p for p in QSF_PATHS if len(p) <= 3 or p[-1] in SHAPING_KEYS]
ODD_VALUES = [None, 0, 2.5, "", "x", [], {}, [1, "a"], [[1]], {"0": 1}, True, {"Display": None},
              "QID1", "q://QID1/SelectableChoice/1"]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.randoms(use_true_random=False))
def test_oddly_shaped_qsf_imports_or_is_refused_with_a_reason(rnd):
    document = copy.deepcopy(QSF_SAMPLE)
    for _ in range(rnd.randint(1, 6)):
        path = rnd.choice(QSF_SHAPES if rnd.random() < 0.7 else QSF_PATHS)
        node = document
        try:
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = copy.deepcopy(rnd.choice(ODD_VALUES))
        except (KeyError, IndexError, TypeError):
            continue

    try:
        parsed = parse_file(filename="odd.qsf", content=json.dumps(document).encode())
        assemble(parsed, supported=["ko", "en"])
    except ImportFileError as error:
        assert error.code.startswith("import_") and error.message


def _element(document, kind):
    return next(e for e in document["SurveyElements"] if e["Element"] == kind)


@pytest.mark.parametrize("change", [
    lambda d: _element(d, "BL").update(Payload=7),
    lambda d: _element(d, "BL")["Payload"][0].update(BlockElements=True),
    lambda d: _element(d, "FL")["Payload"].update(Flow=2.5),
    lambda d: _element(d, "FL")["Payload"]["Flow"][0].update(Type=[1]),
    lambda d: _element(d, "SQ")["Payload"].update(Choices="0-10", Language="KO"),
    lambda d: _element(d, "SQ")["Payload"].update(DisplayLogic={"0": [1]}, SkipLogic=3),
])
def test_qsf_with_odd_shapes_imports_what_it_can_without_crashing(owner, change):
    document = copy.deepcopy(QSF_SAMPLE)
    change(document)

    try:
        result = _import(owner, "odd.qsf", json.dumps(document).encode())
    except DomainError as error:
        assert error.code.startswith("import_")
    else:
        assert result.survey.draft["questions"]


# Helpers -----------------------------------------------------------------------


def test_plain_text_drops_markup_scripts_and_entities():
    html = "<p>Coffee&nbsp;&amp; <b>tea</b></p><script>alert(1)</script><br/>Thanks!"

    assert plain_text(html) == "Coffee & tea\nThanks!"


def test_keys_are_made_from_source_ids_and_never_repeat():
    keys = KeyMaker()

    made = [keys.make(s, fallback="q9") for s in ("Q1.2", "Q1_2", "1st", "만족도", "x" * 60)]

    assert made == ["q1_2", "q1_2_2", "q_1st", "q9", "x" * 40]


def test_languages_match_by_code_then_by_main_language():
    assert match_languages(["en", "en-gb", "ko"], ["ko", "en"]) == {"en": "en", "ko": "ko"}
    assert match_languages(["en-gb", "ko-kr"], ["ko", "en"]) == {"en-gb": "en", "ko-kr": "ko"}


# Command -----------------------------------------------------------------------


def test_command_prints_the_new_survey_and_what_was_not_imported(owner):
    out = StringIO()

    call_command("survey_import", str(DATA / "cafe_visit.lss"), stdout=out)

    survey = Survey.objects.get()
    lines = out.getvalue().splitlines()
    assert lines[0] == (f'Created draft survey {survey.pk} "하늘커피 방문 만족도 조사" from '
                        "limesurvey: 8 questions in ko, en.")
    assert "  Q7 (N (numerical input)): Dangol has no number question" in lines
    assert lines[1] == "Not imported, or imported only in part (4):"


def test_command_exits_with_1_and_the_reason_on_a_bad_file(tmp_path):
    # The real command line, in its own process (the file is refused before any write).
    done = subprocess.run(
        [sys.executable, "-m", "dangol", "survey_import", str(DATA / "truncated.qsf")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DANGOL_DATA_DIR": str(tmp_path)}, check=False)

    assert done.returncode == 1
    assert "truncated.qsf" in done.stderr and "[import_malformed]" in done.stderr
    assert "621" in done.stderr  # the line where the file was cut (message in ko or en)
    assert done.stdout == ""
