"""Stance suggestions: what the extractor proposes, how it is stored, and its commands."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Article
from articles.signals import article_ready
from negotiations import selectors
from negotiations.models import IssueCue, ReviewState, Statement
from negotiations.selectors import suggestion_lexicon
from negotiations.services import review_statement
from negotiations.suggestions import EXTRACTOR_VERSION, extract_suggestions
from negotiations.suggestions.evaluation import score
from negotiations.suggestions.extract import find_mentions
from negotiations.tasks import suggest_article_statements
from tests.conftest import SEED_ARTICLE, make_article

# Every test here reads the codebook: as database tests they run before transactional ones,
# which flush it.
pytestmark = pytest.mark.django_db

DATA = Path(__file__).with_name("data")
GOLD = DATA / "gold.jsonl"


@pytest.fixture(scope="module")
def lexicon(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return suggestion_lexicon(fresh=True)


def stances(text: str, lexicon, *, lang: str | None = None, on: date = date(2025, 8, 20)) -> set:
    return {
        (s.party, s.issue, s.value)
        for s in extract_suggestions(text=text, lexicon=lexicon, lang=lang, published=on)
    }


def only(text: str, lexicon, **kwargs):
    found = extract_suggestions(text=text, lexicon=lexicon, published=date(2025, 8, 20), **kwargs)
    assert len(found) == 1, found
    return found[0]


# -- the extractor ------------------------------------------------------------------------------


def test_it_reads_a_negated_concession_as_a_refusal(lexicon):
    assert stances("Kyiv is ready to cede territory to end the war.", lexicon) == {
        ("ukraine", "donbas", -1)
    }
    assert stances("Kyiv will never cede territory, whatever the pressure.", lexicon) == {
        ("ukraine", "donbas", 2)
    }
    assert stances("Le Kremlin n'accepte pas de troupes européennes en Ukraine.", lexicon) == {
        ("russia", "security_guarantees", -2)
    }


def test_it_attributes_reported_speech_to_the_party_that_reports_it(lexicon):
    reported = only(
        "According to Vance, Russia has accepted security guarantees for Ukraine.", lexicon
    )
    assert (reported.party, reported.issue, reported.value) == ("russia", "security_guarantees", 0)
    assert (reported.attribution, reported.reported_by, reported.speaker) == (
        "reported",
        "us",
        "jd-vance",
    )

    own = only("Lavrov said Russia would accept security guarantees for Ukraine.", lexicon)
    assert (own.party, own.attribution, own.reported_by, own.speaker) == (
        "russia",
        "own",
        None,
        "sergei-lavrov",
    )


def test_it_names_the_speaker_after_an_inverted_reporting_verb(lexicon):
    found = only(
        "L'Ukraine ne renoncera jamais à l'adhésion à l'OTAN, a martelé Zelensky.", lexicon
    )
    assert (found.party, found.issue, found.value) == ("ukraine", "security_guarantees", 2)
    assert found.speaker == "volodymyr-zelensky"


def test_it_resolves_a_title_to_whoever_held_it_on_the_article_date(lexicon):
    text = "Le chef de la diplomatie ukrainienne a rejeté tout échange de territoires."
    before = extract_suggestions(text=text, lexicon=lexicon, published=date(2023, 5, 1))
    after = extract_suggestions(text=text, lexicon=lexicon, published=date(2025, 5, 1))
    assert [(s.party, s.speaker) for s in before] == [("ukraine", "dmytro-kuleba")]
    assert [(s.party, s.speaker) for s in after] == [("ukraine", "andrii-sybiha")]


def test_it_turns_a_threat_under_a_condition_into_an_ultimatum(lexicon):
    assert stances("Trump will impose new sanctions on Russia.", lexicon) == {
        ("us", "sanctions", 2)
    }
    assert stances(
        "Trump will impose new sanctions on Russia if there is no progress by Friday.", lexicon
    ) == {("us", "sanctions", 1)}


def test_it_reads_the_condition_of_a_threat_as_an_ultimatum(lexicon):
    assert stances(
        "Trump threatened new sanctions if there is no ceasefire within two weeks.", lexicon
    ) == {("us", "sanctions", 1), ("us", "ceasefire", 1)}


def test_it_reads_what_a_party_waits_for_as_what_it_requires(lexicon):
    assert stances(
        "Russia will not agree to any ceasefire until Ukraine withdraws from the four regions.",
        lexicon,
    ) == {("russia", "ceasefire", -2), ("russia", "donbas", -2)}


def test_it_takes_nothing_from_a_clause_that_is_only_hypothetical(lexicon):
    assert (
        stances("If Russia accepted a ceasefire, talks could resume in Geneva.", lexicon) == set()
    )


def test_it_does_not_take_commentary_for_a_party_stance(lexicon):
    assert stances("Analysts say Russia will never accept a ceasefire.", lexicon) == set()
    assert stances("In our view, Ukraine should accept land swaps.", lexicon) == set()
    assert stances("Poutine semble prêt à accepter un cessez-le-feu.", lexicon) == set()
    assert stances("Talks between the delegations lasted five hours in Riyadh.", lexicon) == set()


def test_it_gives_each_party_in_a_sentence_its_own_stance(lexicon):
    assert stances(
        "Russia demands all of Donbas, while Ukraine rejects any territorial concession.", lexicon
    ) == {("russia", "donbas", -2), ("ukraine", "donbas", 2)}
    assert stances(
        "Zelensky and Macron demanded an immediate ceasefire, which Moscow rejected.", lexicon
    ) == {("ukraine", "ceasefire", 2), ("eu", "ceasefire", 2), ("russia", "ceasefire", -2)}


def test_it_holds_the_party_that_takes_the_stance_not_the_one_it_is_about(lexicon):
    assert stances("Putin questioned Zelensky's legitimacy.", lexicon) == {
        ("russia", "kyiv_government", -1)
    }
    assert stances("Le Kremlin exige le retrait ukrainien de tout le Donbass.", lexicon) == {
        ("russia", "donbas", -2)
    }


def test_it_finds_parties_under_inflected_and_possessive_names(lexicon):
    text = (
        "Les exigences du Kremlin. Zelensky's plan. Заявление Путина из Москвы. "
        "По словам Дмитрия Пескова и Зеленского. Der Kremlsprecher. Les Américains."
    )
    found = [(m.text, m.ref.party) for m in find_mentions(text=text, lexicon=lexicon)]
    assert found == [
        ("Kremlin", "russia"),
        ("Zelensky's", "ukraine"),
        ("Путина", "russia"),
        ("Москвы", "russia"),
        ("Дмитрия Пескова", "russia"),
        ("Зеленского", "ukraine"),
        ("Kremlsprecher", "russia"),
        ("Américains", "us"),
    ]


def test_it_quotes_the_article_exactly(lexicon):
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    found = extract_suggestions(text=text, lexicon=lexicon, published=date(2025, 8, 25))
    assert len(found) >= 8
    for suggestion in found:
        assert text[suggestion.start : suggestion.end] == suggestion.quote
        assert 0.0 <= suggestion.confidence <= 1.0 and suggestion.reason


def test_it_follows_the_lexicon_as_edited_in_the_admin(db, issues, monkeypatch):
    # The process-wide snapshot goes back to what it was once this test's rows are rolled back.
    monkeypatch.setattr(selectors, "_lexicon_cache", None)
    text = "Moscow demands a buffer zone inside Ukraine."
    assert stances(text, suggestion_lexicon(fresh=True)) == set()
    IssueCue.objects.create(
        issue=issues["security_guarantees"], lang="en", term="buffer zone", value=-2
    )
    assert stances(text, suggestion_lexicon(fresh=True)) == {("russia", "security_guarantees", -2)}


def test_it_lets_admins_edit_the_lexicons_and_editors_only_read_them(client, admin_user, editor):
    client.force_login(admin_user)
    page = client.get("/admin/negotiations/issuecue/?q=land+swap")
    assert page.status_code == 200 and "land swap" in page.content.decode()
    assert client.get("/admin/negotiations/cue/add/").status_code == 200
    assert editor.has_perm("negotiations.view_issuecue")
    assert not editor.has_perm("negotiations.change_issuecue")
    assert admin_user.has_perm("negotiations.change_cue")


# -- storing suggestions ------------------------------------------------------------------------

RUSSIA_AND_UKRAINE = (
    "Vladimir Putin demanded that Ukraine withdraw from all of the Donbas. "
    "Volodymyr Zelensky rejected any territorial concessions. "
    "Donald Trump threatened new sanctions if there is no progress."
)


def suggested(article: Article) -> list[tuple]:
    return sorted(
        Statement.objects.filter(article=article, review_state=ReviewState.SUGGESTED).values_list(
            "party__slug", "issue__slug", "value", "extractor_version"
        )
    )


def test_it_stores_suggestions_once_however_often_the_task_runs(db):
    article = make_article(RUSSIA_AND_UKRAINE, language="en")

    assert suggest_article_statements(article.pk) == 3
    first = suggested(article)
    suggest_article_statements(article.pk)

    assert (
        suggested(article)
        == first
        == [
            ("russia", "donbas", -2, EXTRACTOR_VERSION),
            ("ukraine", "donbas", 2, EXTRACTOR_VERSION),
            ("us", "sanctions", 1, EXTRACTOR_VERSION),
        ]
    )
    putin = Statement.objects.get(article=article, party__slug="russia")
    assert putin.speaker.slug == "vladimir-putin"
    assert article.text[putin.quote_start : putin.quote_end] == putin.quote
    assert putin.confidence is not None and putin.reason


def test_it_leaves_what_editors_confirmed_or_rejected_alone(db, editor):
    article = make_article(RUSSIA_AND_UKRAINE, language="en")
    suggest_article_statements(article.pk)
    russia = Statement.objects.get(article=article, party__slug="russia")
    ukraine = Statement.objects.get(article=article, party__slug="ukraine")
    review_statement(statement=russia, state=ReviewState.CONFIRMED, user=editor)
    review_statement(statement=ukraine, state=ReviewState.REJECTED, user=editor)
    older = Statement.objects.get(article=article, party__slug="us")
    Statement.objects.filter(pk=older.pk).update(extractor_version="stance-cues-0")

    suggest_article_statements(article.pk)

    russia.refresh_from_db()
    ukraine.refresh_from_db()
    assert (russia.review_state, ukraine.review_state) == ("confirmed", "rejected")
    # The rejected stance is not proposed again; the older version's suggestion is replaced.
    assert suggested(article) == [("us", "sanctions", 1, EXTRACTOR_VERSION)]
    assert not Statement.objects.filter(pk=older.pk).exists()


def test_it_refuses_a_second_copy_of_a_machine_suggestion(db):
    article = make_article(RUSSIA_AND_UKRAINE, language="en")
    suggest_article_statements(article.pk)
    copy = Statement.objects.filter(article=article).first()
    copy.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


@pytest.fixture
def eager_celery():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_it_suggests_once_the_ingested_article_is_committed(
    db, eager_celery, django_capture_on_commit_callbacks
):
    article = make_article(RUSSIA_AND_UKRAINE, language="en")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article_ready.send(sender=Article, article_id=article.pk)
        assert suggested(article) == []  # nothing before the commit

    assert len(callbacks) == 1
    assert len(suggested(article)) == 3


# -- commands -----------------------------------------------------------------------------------


def test_it_writes_suggestions_as_json_lines_without_touching_the_database(db, tmp_path):
    seed = SEED_ARTICLE.read_text(encoding="utf-8")
    articles = [
        {"id": "seed", "text": seed, "lang": None, "published": "2025-08-25"},
        {"id": 7, "text": RUSSIA_AND_UKRAINE, "lang": "en", "published": None},
        {"id": "empty", "text": "The talks lasted five hours.", "lang": "en", "published": None},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    out = StringIO()
    before = (Statement.objects.count(), Article.objects.count())

    call_command("suggest", input=str(source), stdout=out)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (Statement.objects.count(), Article.objects.count()) == before
    assert {line["id"] for line in lines} == {"seed", 7}
    texts = {a["id"]: a["text"] for a in articles}
    for line in lines:
        assert list(line) == [
            "id",
            "party",
            "issue",
            "value",
            "quote",
            "start",
            "end",
            "speaker",
            "attribution",
            "reported_by",
            "stated_on",
            "confidence",
        ]
        assert texts[line["id"]][line["start"] : line["end"]] == line["quote"]
        assert line["party"] in {"us", "russia", "ukraine", "eu"}
        assert -2 <= line["value"] <= 2
    seed_lines = [line for line in lines if line["id"] == "seed"]
    assert {line["stated_on"] for line in seed_lines} == {"2025-08-25"}
    assert {line["stated_on"] for line in lines if line["id"] == 7} == {None}
    assert {
        (line["party"], line["issue"], line["attribution"], line["reported_by"], line["speaker"])
        for line in seed_lines
        if line["issue"] == "kyiv_government"
    } == {("russia", "kyiv_government", "reported", "us", "jd-vance")}


def test_it_meets_the_quality_goals_on_the_gold_set(db):
    out = StringIO()
    call_command("evaluate_suggestions", gold=str(GOLD), json=True, stdout=out)
    scores = json.loads(out.getvalue())
    assert scores["f1"] >= 0.8, scores
    assert scores["value_within_one"] >= 0.9, scores
    assert set(scores["by_language"]) == {"en", "fr", "de", "uk", "ru"}


def test_it_scores_pairs_values_and_attributions():
    gold = [
        {
            "id": 1,
            "lang": "en",
            "statements": [
                {"party": "russia", "issue": "donbas", "value": -2, "attribution": "own"},
                {"party": "ukraine", "issue": "donbas", "value": 2, "attribution": "own"},
            ],
        },
        {"id": 2, "lang": "fr", "statements": []},
    ]
    predicted = {
        1: [
            {"party": "russia", "issue": "donbas", "value": -1, "attribution": "own"},
            {"party": "us", "issue": "donbas", "value": -1, "attribution": "own"},
        ],
        2: [{"party": "eu", "issue": "sanctions", "value": 2, "attribution": "own"}],
    }
    result = score(gold=gold, predicted=predicted).as_dict()
    assert (result["tp"], result["fp"], result["fn"]) == (1, 2, 1)
    assert (result["precision"], result["recall"]) == (0.333, 0.5)
    assert (result["value_exact"], result["value_within_one"]) == (0.0, 1.0)
    assert result["by_language"]["fr"]["fp"] == 1


def test_it_reads_a_clause_that_narrows_the_stance_before_it(lexicon):
    assert stances(
        "Peskov said Putin was ready to meet Volodymyr Zelensky, but only to sign a final deal.",
        lexicon,
    ) == {("russia", "leaders_meeting", -1)}


def test_it_finds_the_speaker_behind_an_apposition_and_a_pronoun(lexicon):
    found = only(
        "Donald Trump, who has threatened Russia before, said he would impose secondary "
        "tariffs on buyers of Russian oil.",
        lexicon,
    )
    assert (found.party, found.value, found.attribution, found.speaker) == (
        "us",
        2,
        "own",
        "donald-trump",
    )
    text = (
        "Volodymyr Zelensky a parlé mardi. « Nous ne donnerons pas notre terre », a-t-il déclaré."
    )
    assert stances(text, lexicon, lang="fr") == {("ukraine", "donbas", 2)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Владимир Путин потребовал вывода украинских войск из Донбасса.",
            ("russia", "donbas", -2),
        ),
        ("Зеленский отверг любые территориальные уступки.", ("ukraine", "donbas", 2)),
        ("Дональд Трамп пригрозил новыми санкциями против России.", ("us", "sanctions", 1)),
        (
            "Президент Росії Володимир Путін вимагає нейтралітету України.",
            ("russia", "security_guarantees", -2),
        ),
        (
            "Selenskyj lehnte am Dienstag jeden Gebietstausch mit Russland ab.",
            ("ukraine", "donbas", 2),
        ),
    ],
)
def test_it_reads_russian_ukrainian_and_german(lexicon, text, expected):
    assert stances(text, lexicon) == {expected}


def test_it_gives_what_one_party_says_another_should_do_to_the_speaker(lexicon):
    found = extract_suggestions(
        text="Trump said Ukraine should give up some territory, a position Kyiv rejected.",
        lexicon=lexicon,
        lang="en",
        published=date(2025, 8, 20),
    )
    assert {(s.party, s.issue, s.value, s.attribution) for s in found} == {
        ("us", "donbas", -1, "own"),
        ("ukraine", "donbas", 2, "own"),
    }


def test_it_scores_a_suggest_output_file_like_its_own_run(db, tmp_path):
    gold = DATA / "heldout.jsonl"
    predictions = tmp_path / "predictions.jsonl"
    out = StringIO()
    call_command("suggest", input=str(gold), stdout=out)
    predictions.write_text(out.getvalue(), encoding="utf-8")

    scored, own = StringIO(), StringIO()
    call_command(
        "evaluate_suggestions",
        gold=str(gold),
        predictions=str(predictions),
        json=True,
        stdout=scored,
    )
    call_command("evaluate_suggestions", gold=str(gold), json=True, stdout=own)
    assert json.loads(scored.getvalue()) == json.loads(own.getvalue())
    assert json.loads(own.getvalue())["tp"] > 0


def test_it_keeps_initials_and_titles_inside_their_sentence():
    from negotiations.suggestions.language import sentence_spans

    text = "J.D. Vance spoke to the U.S. Senate. M. Macron a répondu.\nLe Kremlin se tait."
    assert [text[s:e] for s, e in sentence_spans(text=text)] == [
        "J.D. Vance spoke to the U.S. Senate.",
        "M. Macron a répondu.",
        "Le Kremlin se tait.",
    ]


def test_it_dates_the_suggestions_of_an_undated_article_by_its_arrival(db):
    article = make_article(RUSSIA_AND_UKRAINE, language="en", published_on=None)

    assert suggest_article_statements(article.pk) == 3

    dates = set(Statement.objects.filter(article=article).values_list("stated_on", flat=True))
    assert dates == {timezone.localdate(article.created_at)}
