from datetime import date

from articles.models import Article
from articles.signals import article_revised
from negotiations.models import Statement
from tests.conftest import make_article, make_statement


def test_it_follows_or_flags_quotes_when_the_outlet_edits_the_article(
    client, analyst, parties, issues
):
    article = make_article(
        "Moscow demands all of Donbas. Kyiv refuses. Brussels readies sanctions.",
        published_on=date(2025, 8, 15),
    )
    kept = make_statement(
        parties["russia"],
        issues["donbas"],
        -2,
        date(2025, 8, 15),
        article=article,
        quote="Moscow demands all of Donbas.",
    )
    moved = make_statement(
        parties["ukraine"],
        issues["donbas"],
        2,
        date(2025, 8, 15),
        article=article,
        quote="Kyiv refuses.",
    )
    dropped = make_statement(
        parties["eu"],
        issues["sanctions"],
        2,
        date(2025, 8, 15),
        article=article,
        quote="Brussels readies sanctions.",
    )

    # What articles/ does on "fetch again": new text, then the signal (on commit).
    Article.objects.filter(pk=article.pk).update(
        text="Moscow demands all of Donbas. Update: talks paused. Kyiv refuses."
    )
    article_revised.send(sender=Article, article_id=article.pk, revision=2)

    kept.refresh_from_db(), moved.refresh_from_db(), dropped.refresh_from_db()
    text = Article.objects.get(pk=article.pk).text
    assert (kept.quote_start, kept.quote_missing) == (0, False)
    assert text[moved.quote_start : moved.quote_end] == "Kyiv refuses." and not moved.quote_missing
    assert moved.version == 2
    assert dropped.quote_missing and dropped.quote == "Brussels readies sanctions."
    client.force_login(analyst)
    html = client.get(f"/read/{article.pk}/").content.decode()
    assert "no longer in its current text" in html
    assert html.count('<mark class="passage') == 2
    assert Statement.objects.filter(article=article).count() == 3  # evidence is never deleted
