import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from negotiations.models import Statement
from tests.conftest import make_article, make_statement

QUERY = "on=2025-09-10&since=2025-08-01"


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def test_it_summarises_each_partys_stances_with_quotes_as_footnotes(client, analyst, demo):
    client.force_login(analyst)

    html = client.get(f"/summary/?{QUERY}").content.decode()

    for party in ("United States", "Russia", "Ukraine", "European Union and European partners"):
        assert f"<h2>{party}</h2>" in html
    assert 'Government in Kyiv</strong>: <span class="value v-1">−1</span>' in html
    notes = re.findall(r'<li id="note-(\d+)">', html)
    assert notes == [str(n) for n in range(1, len(notes) + 1)]
    vance = Statement.objects.get(
        party__slug="russia", issue__slug="kyiv_government", stated_on=date(2025, 8, 24)
    )
    assert f"/read/{vance.article_id}/#passage-{vance.pk}" in html
    assert "What changed since 1 August 2025" in html
    assert "concession of 3 stops, −2 → +1" in html


def test_it_narrows_the_summary_to_chosen_parties_and_issues(client, analyst, demo):
    client.force_login(analyst)
    html = client.get(f"/summary/?{QUERY}&party=ukraine&issue=donbas").content.decode()
    assert "<h2>Ukraine</h2>" in html and "<h2>Russia</h2>" not in html
    assert "Control of Donetsk and Luhansk</strong>" in html
    assert "Government in Kyiv</strong>" not in html


def test_it_writes_the_summary_as_markdown_with_footnotes(client, analyst, demo):
    client.force_login(analyst)

    response = client.get(f"/summary.md?{QUERY}&party=russia&issue=kyiv_government")
    text = response.content.decode()

    assert response["Content-Type"].startswith("text/markdown")
    assert text.startswith("# Positions as of 10 September 2025")
    assert "- **Government in Kyiv**: −1 Question legitimacy, since 2025-09-03[^1]" in text
    assert "concession of 3 stops, −2 → +1[^2]" in text
    assert re.search(r"^\[\^2\]: “Moscou aurait admis .*régime fantoche", text, re.M)
    assert "[Open the passage](http://testserver/read/" in text


def test_it_prints_the_summary_to_a_pdf_with_accents_and_cyrillic(client, analyst, parties, issues):
    article = make_article(
        "Песков заявил: Москва не признаёт легитимность Зеленского.", title="Песков"
    )
    make_statement(
        parties["russia"],
        issues["kyiv_government"],
        -1,
        date(2025, 9, 3),
        article=article,
        quote="Москва не признаёт легитимность Зеленского",
    )
    make_statement(
        parties["eu"],
        issues["security_guarantees"],
        1,
        date(2025, 9, 4),
        quote="Les Européens déploieront une force de réassurance.",
    )
    client.force_login(analyst)

    response = client.get("/summary.pdf?on=2025-09-10")

    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Positions as of 10 September 2025" in text
    assert "Москва не признаёт легитимность Зеленского" in text
    assert "Les Européens déploieront une force de réassurance." in text
    assert "Question legitimacy" in text and "European-led guarantees" in text


def test_it_marks_each_statements_passage_in_the_article(client, analyst, parties, issues):
    article = make_article("Intro. Moscow demands all of Donbas. Kyiv refuses. End.")
    demand = make_statement(
        parties["russia"],
        issues["donbas"],
        -2,
        date(2025, 8, 15),
        article=article,
        quote="Moscow demands all of Donbas.",
    )
    refusal = make_statement(
        parties["ukraine"],
        issues["donbas"],
        2,
        date(2025, 8, 15),
        article=article,
        quote="Kyiv refuses.",
        review_state="suggested",
    )
    client.force_login(analyst)

    html = client.get(f"/read/{article.pk}/").content.decode()

    assert (
        f'<span id="passage-{demand.pk}" class="anchor"></span><mark class="passage '
        f'party-russia confirmed " ' in html
    )
    assert "Moscow demands all of Donbas.</mark>" in html
    assert f'id="passage-{refusal.pk}"' in html and "party-ukraine suggested" in html
    assert "Intro. " in html and " End." in html
