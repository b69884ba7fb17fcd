"""Ingestion pieces in this process: the guarded fetcher, feeds, dedup keys, claims, permissions.

Services run synchronously here (no worker); the pipeline tests run them through Celery.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import dedup, services
from articles.extraction import decode, parse_date
from articles.feeds import FeedError, parse_feed
from articles.fetching import FetchError, safe_fetch
from articles.models import Article, ArticleBand, ArticleStatus, DuplicateKind, Origin, Source
from articles.signals import article_ready, article_revised
from tests.ingest_support import distinct_text, page, redirect, respond

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss version="2.0"><channel><title>&lol4;</title><item><title>&lol4;</title>
<link>http://example.com/a</link></item></channel></rss>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>
<link>http://example.com/a</link></item></channel></rss>"""


# The guarded fetcher -------------------------------------------------------------------------


@pytest.fixture
def tls_web(loopback_allowed, monkeypatch):
    """The loopback server's routes over HTTPS, with a certificate for "localhost" only,
    signed by a test authority that the fetcher trusts for this test."""
    import ssl

    import trustme

    from articles import fetching
    from tests.ingest_support import LoopbackServer

    authority = trustme.CA()
    server = LoopbackServer()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server_context)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    monkeypatch.setattr(fetching, "_tls_context", lambda: client_context)
    monkeypatch.setattr(fetching, "_local", threading.local())  # a pool with that context
    yield server
    server.shutdown()


def test_it_checks_the_certificate_against_the_name_while_connecting_to_the_address(tls_web):
    tls_web.routes["/secure"] = respond(200, "over TLS")
    port = tls_web.server_address[1]

    assert safe_fetch(f"https://localhost:{port}/secure").body == b"over TLS"
    with pytest.raises(FetchError) as refused:
        safe_fetch(f"https://127.0.0.1:{port}/secure")  # the certificate does not name it

    assert not refused.value.permanent and "connection failed" in refused.value.reason
    assert tls_web.hits == {"/secure": 1}
    assert tls_web.request_headers["/secure"]["Host"] == f"localhost:{port}"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_it_refuses_loopback_unless_allowed(web, settings, host):
    settings.INGEST_ALLOW_LOOPBACK = False
    web.routes["/x"] = respond(200, "hello")

    with pytest.raises(FetchError) as refused:
        safe_fetch(web.url("/x", host))

    assert refused.value.permanent and "loopback" in refused.value.reason
    assert web.hits == {}
    settings.INGEST_ALLOW_LOOPBACK = True
    assert safe_fetch(web.url("/x", host)).body == b"hello"


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://169.254.10.10/", "link-local"),
        ("http://192.168.1.1/", "private"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://0.0.0.0:8080/", "private or reserved"),
    ],
)
def test_it_refuses_redirects_to_internal_addresses(web, loopback_allowed, location, reason):
    web.routes["/go"] = redirect(location)

    with pytest.raises(FetchError) as refused:
        safe_fetch(web.url("/go"))

    assert refused.value.permanent and reason in refused.value.reason


def test_it_refuses_a_redirect_back_to_loopback_when_loopback_is_off(web, settings):
    settings.INGEST_ALLOW_LOOPBACK = True
    web.routes["/go"] = redirect(web.url("/secret"))
    web.routes["/secret"] = respond(200, "internal")
    assert safe_fetch(web.url("/go")).body == b"internal"

    settings.INGEST_ALLOW_LOOPBACK = False
    with pytest.raises(FetchError, match="loopback"):
        safe_fetch(web.url("/go"))


def test_it_sends_conditional_headers_and_a_user_agent(web, loopback_allowed):
    web.routes["/feed"] = respond(304, b"", content_type="")

    result = safe_fetch(
        web.url("/feed"), etag='"abc"', last_modified="Wed, 12 Mar 2025 10:00:00 GMT"
    )

    assert result.not_modified
    headers = web.request_headers["/feed"]
    assert headers["If-None-Match"] == '"abc"'
    assert headers["If-Modified-Since"] == "Wed, 12 Mar 2025 10:00:00 GMT"
    assert "StanceBot" in headers["User-Agent"]


# Feeds and text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (BILLION_LAUGHS, "declares entities"),
        (XXE, "declares entities"),
        (b"", "empty feed"),
        (b"   \n", "empty feed"),
        (b"<html><body><p>Not a feed</p></body></html>", "not a feed"),
    ],
)
def test_it_refuses_hostile_or_empty_feeds(body, reason):
    with pytest.raises(FeedError, match=reason):
        parse_feed(body)


def test_it_reads_rss_0_91_rss_1_0_rss_2_0_and_atom():
    rss091 = b"""<rss version="0.91"><channel><title>c</title><item><title>A</title>
      <link>http://example.com/091</link></item></channel></rss>"""
    rss10 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="http://example.com/"><title>c</title></channel>
      <item rdf:about="http://example.com/10"><title>B</title><link>http://example.com/10</link>
      <dc:date>2025-03-12T10:00:00Z</dc:date></item></rdf:RDF>"""
    rss20 = b"""<rss version="2.0"><channel><title>c</title><item><title>C &amp; D</title>
      <link>http://example.com/20</link><pubDate>Wed, 12 Mar 2025 10:00:00 GMT</pubDate>
      </item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>c</title><entry><title>E</title>
      <link href="http://example.com/atom"/><updated>2025-03-12T10:00:00Z</updated></entry></feed>"""

    entries = [parse_feed(body)[0] for body in (rss091, rss10, rss20, atom)]

    assert [e.link for e in entries] == [
        "http://example.com/091",
        "http://example.com/10",
        "http://example.com/20",
        "http://example.com/atom",
    ]
    assert entries[2].title == "C & D"
    assert {e.published_on.isoformat() for e in entries[1:]} == {"2025-03-12"}


def test_it_decodes_a_feed_whose_declared_charset_is_wrong():
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>c</title>'
        "<item><title>Переговоры в Женеве продолжаются</title><link>http://example.com/ru</link>"
        "<description>Российская делегация настаивала на гарантиях безопасности.</description>"
        "</item></channel></rss>"
    ).encode("cp1251")

    [entry] = parse_feed(feed, charset="utf-8")

    assert entry.title == "Переговоры в Женеве продолжаются"


def test_it_decodes_html_with_wrong_or_missing_charsets():
    text = "Українська делегація наполягала на повному припиненні вогню. " * 5
    assert decode(text.encode("utf-8"), declared="iso-8859-1") == text
    assert decode(text.encode("cp1251"), declared="utf-8") == text
    assert decode(text.encode("cp1251")) == text
    latin = "Les négociateurs se sont réunis à Genève, où l'été fut très chaud. " * 5
    assert decode(latin.encode("cp1252"), declared="iso-8859-1") == latin


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12 mars 2025", "2025-03-12"),
        ("12 March 2025", "2025-03-12"),
        ("12 березня 2025", "2025-03-12"),
        ("12 марта 2025", "2025-03-12"),
        ("2025-03-12T10:00:00+02:00", "2025-03-12"),
    ],
)
def test_it_parses_dates_in_four_languages(value, expected):
    assert parse_date(value).isoformat() == expected


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.example.com/news/talks",
        "http://example.com/news/talks/",
        "https://m.example.com/news/talks?utm_source=tw&utm_medium=social",
        "https://example.com/news/talks#comments",
        "https://amp.example.com/news/talks/amp/",
        "https://example.com/amp/news/talks?fbclid=abc&gclid=def",
    ],
)
def test_it_gives_url_variants_one_canonical_form(variant):
    assert dedup.canonicalize_url(variant) == "https://example.com/news/talks"


def test_it_keeps_meaningful_query_parameters():
    assert dedup.canonicalize_url("https://ex.com/a?id=2&utm_source=x&page=1") == (
        "https://ex.com/a?id=2&page=1"
    )


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.bbc.co.uk/news/world-europe-1", "bbc.co.uk"),
        ("https://edition.cnn.com/2025/08/18/europe/talks", "cnn.com"),
        ("https://cnn.com/2025/08/18/europe/talks", "cnn.com"),
        ("https://m.lemonde.fr/international/article/x.html", "lemonde.fr"),
        ("https://kyiv.blogspot.com/2025/08/talks.html", "kyiv.blogspot.com"),
        ("http://127.0.0.1:8000/story", "127.0.0.1"),
    ],
)
def test_it_names_the_outlet_by_its_registered_domain(url, outlet):
    assert dedup.outlet_of(url) == outlet


def test_it_keeps_sites_of_one_outlet_apart_in_canonical_urls():
    sport, news = "https://sport.example.com/a", "https://news.example.com/a"

    assert dedup.outlet_of(sport) == dedup.outlet_of(news) == "example.com"
    assert dedup.canonicalize_url(sport) != dedup.canonicalize_url(news)


# Claims, attempts and deduplication ----------------------------------------------------------


def _pasted(text: str, title: str = "Pasted") -> Article:
    article, _ = services.submit_text(text=text, title=title, language="en")
    return article


def test_it_parks_an_article_whose_attempts_ran_out(db, settings):
    article = _pasted(distinct_text(1))
    Article.objects.filter(id=article.id).update(attempts=settings.INGEST_MAX_ATTEMPTS)

    assert services.process_article(article_id=article.id) == "done"

    article.refresh_from_db()
    assert article.status == ArticleStatus.FAILED
    assert "gave up after" in article.failure_reason
    assert article.events.filter(status="failed").count() == 1


def test_it_does_not_run_an_article_another_worker_holds(db):
    article = _pasted(distinct_text(2))
    Article.objects.filter(id=article.id).update(
        attempts=1, lease_until=timezone.now() + timedelta(seconds=30)
    )

    with pytest.raises(services.RetryLater) as later:
        services.process_article(article_id=article.id)

    assert 25 < later.value.countdown <= 30
    article.refresh_from_db()
    assert (article.status, article.attempts) == (ArticleStatus.QUEUED, 1)


def test_it_processes_an_article_once_however_often_the_task_runs(
    db, django_capture_on_commit_callbacks
):
    ready: list[int] = []
    article_ready.connect(lambda sender, article_id, **kw: ready.append(article_id), weak=False)
    article = _pasted(distinct_text(3))

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [services.process_article(article_id=article.id) for _ in range(3)]

    assert outcomes == ["extracted", "done", "done"]
    assert ready == [article.id]
    article.refresh_from_db()
    assert article.revisions.count() == 1
    assert article.events.filter(status="extracted").count() == 1


def test_it_links_a_near_duplicate_and_counts_distinct_outlets(db):
    text = distinct_text(4)
    original, _ = services.submit_text(
        text=text, title="A", url="https://wire.example/a", language="en"
    )
    services.process_article(article_id=original.id)
    edited = text.replace(".", ";", 3) + " Updated with a reaction from Kyiv."
    copy, _ = services.submit_text(
        text=edited, title="B", url="https://paper.example/b", language="en"
    )

    assert services.process_article(article_id=copy.id) == "duplicate"

    copy.refresh_from_db()
    assert (copy.duplicate_of_id, copy.duplicate_kind) == (original.id, DuplicateKind.NEAR)
    from articles.selectors import story_outlets

    assert story_outlets(article=original) == ["paper.example", "wire.example"]
    assert not ArticleBand.objects.filter(article=copy).exists()


def test_it_checks_near_duplicates_with_the_same_queries_however_many_are_stored(db):
    def queries_for_one_more(seed: int) -> int:
        article = _pasted(distinct_text(seed))
        with CaptureQueriesContext(connection) as queries:
            services.process_article(article_id=article.id)
        return len(queries)

    for seed in range(100, 103):
        services.process_article(article_id=_pasted(distinct_text(seed)).id)
    few = queries_for_one_more(200)
    for seed in range(300, 340):
        services.process_article(article_id=_pasted(distinct_text(seed)).id)
    many = queries_for_one_more(400)

    assert Article.objects.filter(status="extracted").count() == 45
    assert few == many


def test_it_sends_article_revised_when_a_new_revision_is_stored(
    db, web, loopback_allowed, django_capture_on_commit_callbacks
):
    revised: list[tuple[int, int]] = []
    article_revised.connect(
        lambda sender, article_id, revision, **kw: revised.append((article_id, revision)),
        weak=False,
    )
    text = distinct_text(5)
    web.routes["/p"] = respond(200, page("P", text))
    article, _ = services.submit_url(url=web.url("/p"))
    services.process_article(article_id=article.id)
    web.routes["/p"] = respond(200, page("P", text.replace("Kyiv", "Kiev") + " Correction."))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.process_article(article_id=article.id, refresh=True) == "revised"

    assert revised == [(article.id, 2)]
    assert article.revisions.count() == 2


def test_it_requeues_articles_whose_claim_lapsed(db, monkeypatch):
    # Mocked: only which ids go to the broker is checked here; the pipeline tests send them.
    sent: list[int] = []
    monkeypatch.setattr(
        services, "_enqueue", lambda article_id, refresh=False: sent.append(article_id)
    )
    lapsed = _pasted(distinct_text(6))
    held = _pasted(distinct_text(7))
    done = _pasted(distinct_text(8))
    now = timezone.now()
    Article.objects.filter(id=lapsed.id).update(lease_until=now - timedelta(seconds=1))
    Article.objects.filter(id=held.id).update(lease_until=now + timedelta(minutes=1))
    Article.objects.filter(id=done.id).update(status=ArticleStatus.EXTRACTED)

    assert services.requeue_stalled() == 1
    assert sent == [lapsed.id]


# Feeds over HTTP, in this process -------------------------------------------------------------


def test_it_records_why_a_hostile_feed_was_refused(web, loopback_allowed, db):
    web.routes["/laughs.xml"] = respond(200, BILLION_LAUGHS, content_type="application/rss+xml")
    web.routes["/empty.xml"] = respond(200, b"", content_type="application/rss+xml")
    laughs = services.create_feed_source(url=web.url("/laughs.xml"), name="Laughs")
    empty = services.create_feed_source(url=web.url("/empty.xml"), name="Empty")

    assert services.poll_all_feeds() == []

    laughs.refresh_from_db()
    empty.refresh_from_db()
    assert "declares entities" in laughs.last_poll_status
    assert "empty feed" in empty.last_poll_status
    assert laughs.next_poll_at > timezone.now()
    assert not Article.objects.exists()


def test_it_adds_a_feed_from_the_command_line(db):
    call_command("add_feed", "https://example.com/rss", "--name", "Example", "--interval", "15")
    source = Source.objects.get(name="Example")
    assert (source.kind, source.poll_interval_minutes) == ("feed", 15)
    with pytest.raises(CommandError):
        call_command("add_feed", "file:///etc/passwd")


# Permissions and forms -----------------------------------------------------------------------

WRITES = [
    ("articles:submit", {}, {"url": "https://example.com/a"}),
    ("articles:paste", {}, {"title": "T", "text": "Some text"}),
    ("articles:retry", {"article_id": 1}, {}),
    ("articles:refetch", {"article_id": 1}, {}),
    ("articles:add_feed", {}, {"url": "https://example.com/rss", "interval": 5}),
    ("articles:poll_now", {"source_id": 1}, {}),
]


@pytest.mark.parametrize(("name", "kwargs", "data"), WRITES)
@pytest.mark.parametrize("htmx", [False, True])
def test_it_refuses_writes_to_analysts(client, analyst, name, kwargs, data, htmx):
    client.force_login(analyst)
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(reverse(name, kwargs=kwargs), data, headers=headers)

    assert response.status_code == 403
    assert not Article.objects.exists() and not Source.objects.exists()


@pytest.mark.parametrize("name", ["articles:list", "articles:feeds", "articles:submit"])
def test_it_sends_anonymous_users_to_login(client, db, name):
    response = (
        client.post(reverse(name)) if name == "articles:submit" else client.get(reverse(name))
    )
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_shows_the_article_list_to_analysts_without_forms(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("articles:list"))
    assert response.status_code == 200
    assert b"<h1>Articles</h1>" in response.content
    assert b'action="/articles/submit/"' not in response.content


def test_it_returns_a_row_that_swaps_itself_for_an_htmx_submission(client, editor):
    client.force_login(editor)

    response = client.post(
        reverse("articles:submit"), {"url": "https://example.com/x"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    article = Article.objects.get()
    assert f'<tr id="article-{article.id}"'.encode() in response.content
    assert b'hx-swap="outerHTML"' in response.content and b"<html" not in response.content
    assert article.events.get().status == "queued"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("huge.html", b"<html>" + b"x" * 2000, b"larger than"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", b"Only HTML, plain text and PDF"),
        ("empty.txt", b"", b"empty"),
    ],
)
def test_it_refuses_oversized_or_unsupported_uploads(client, editor, settings, name, data, message):
    settings.INGEST_MAX_UPLOAD_BYTES = 1000
    client.force_login(editor)

    response = client.post(reverse("articles:upload"), {"file": SimpleUploadedFile(name, data)})

    assert response.status_code == 400
    assert message in response.content
    assert not Article.objects.exists()


def test_it_accepts_a_pdf_upload_and_extracts_its_text_layer(client, editor, tmp_path):
    pdf = _pdf_with_text("Ceasefire talks resumed in Geneva. " * 12)
    client.force_login(editor)

    response = client.post(
        reverse("articles:upload"),
        {"file": SimpleUploadedFile("talks.pdf", pdf, content_type="application/pdf")},
    )

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.payload.content_type == "application/pdf"
    assert services.process_article(article_id=article.id) == "extracted"
    article.refresh_from_db()
    assert "Ceasefire talks resumed in Geneva." in article.text


def test_it_rejects_a_jsonl_line_without_url_or_text(db, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "nothing else"}\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="needs a url or a text"):
        services.import_path(path=bad)


def _pdf_with_text(text: str) -> bytes:
    """A one-page PDF with a real text layer, written by hand (pypdf cannot typeset text)."""
    stream = f"BT /F1 10 Tf 20 700 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 2000 800] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def test_it_lets_an_editor_add_a_feed_and_ask_for_a_poll(
    client, editor, django_capture_on_commit_callbacks, monkeypatch
):
    # Mocked: the task is only recorded here; the pipeline tests run real polls.
    from articles import tasks

    polled: list[int] = []
    monkeypatch.setattr(tasks.poll_feed, "delay", polled.append)
    client.force_login(editor)

    added = client.post(
        reverse("articles:add_feed"),
        {"url": "https://example.com/rss", "name": "Example", "interval": 15},
    )
    source = Source.objects.get(name="Example")
    Source.objects.filter(id=source.id).update(next_poll_at=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        poll = client.post(reverse("articles:poll_now", args=[source.id]))

    assert added.status_code == 302 and poll.status_code == 302
    source.refresh_from_db()
    assert (source.kind, source.poll_interval_minutes) == ("feed", 15)
    assert source.next_poll_at <= timezone.now()
    assert polled == [source.id]
    page = client.get(reverse("articles:feeds"))
    assert b"Example" in page.content and b"Poll now" in page.content


def test_it_lets_admins_poll_feeds_from_the_admin(
    client, admin_user, django_capture_on_commit_callbacks, monkeypatch
):
    # Mocked: the task is only recorded here; the pipeline tests run real polls.
    from articles import tasks

    polled: list[int] = []
    monkeypatch.setattr(tasks.poll_feed, "delay", polled.append)
    source = services.create_feed_source(url="https://example.com/rss", name="Example")
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/articles/source/",
            {"action": "poll_now", "_selected_action": [source.id]},
        )

    assert response.status_code == 302
    assert polled == [source.id]


def test_it_trusts_a_declared_canonical_url_only_when_the_texts_agree(db, web, loopback_allowed):
    home = '<link rel="canonical" href="https://outlet.example/">'
    # An uploaded page takes the canonical URL it declares: here the outlet's home page.
    one = services.submit_upload(
        data=page("One", distinct_text(11), extra_head=home).encode(), filename="one.html"
    )
    services.process_article(article_id=one.id)
    web.routes["/two"] = respond(200, page("Two", distinct_text(12), extra_head=home))
    two_canonical = f'<link rel="canonical" href="{web.url("/two")}">'
    web.routes["/two-amp"] = respond(
        200, page("Two", distinct_text(12) + " Share.", extra_head=two_canonical)
    )
    two = services.submit_url(url=web.url("/two"))[0]
    amp = services.submit_url(url=web.url("/two-amp"))[0]

    outcomes = [services.process_article(article_id=a.id) for a in (two, amp)]

    assert outcomes == ["extracted", "duplicate"]
    one.refresh_from_db()
    amp.refresh_from_db()
    assert one.canonical_url == "https://outlet.example/"
    assert (amp.duplicate_of_id, amp.duplicate_kind) == (two.id, DuplicateKind.URL)


def test_it_queues_many_urls_as_batches(db, django_capture_on_commit_callbacks, monkeypatch):
    # Mocked: only the batching is checked here; the feed pipeline test runs batches for real.
    from articles import tasks

    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.ingest_batch, "delay", batches.append)
    urls = [f"https://example.com/news/{n}" for n in range(45)]

    with django_capture_on_commit_callbacks(execute=True):
        ids = services.submit_urls(urls=[*urls, "https://www.example.com/news/3?utm_source=x"])

    assert len(ids) == 45 == Article.objects.count()
    assert [len(batch) for batch in batches] == [20, 20, 5]
    assert sorted(i for batch in batches for i in batch) == sorted(ids)


def test_it_lists_articles_with_status_reason_and_copies(client, editor):
    original = _pasted(distinct_text(20), title="Original story")
    services.process_article(article_id=original.id)
    copy = _pasted(distinct_text(20), title="Copy")
    services.process_article(article_id=copy.id)
    failed = Article.objects.create(
        url="https://example.com/f", status=ArticleStatus.FAILED, failure_reason="HTTP 404 from x"
    )
    client.force_login(editor)

    listing = client.get(reverse("articles:list"))
    failed_only = client.get(reverse("articles:list"), {"status": "failed"})
    detail = client.get(reverse("articles:detail", args=[copy.id]))

    assert listing.status_code == failed_only.status_code == detail.status_code == 200
    assert b"Original story" in listing.content and b"1 copy" in listing.content
    assert f'href="/articles/{original.id}/">#{original.id}</a>'.encode() in listing.content
    assert (
        b"HTTP 404 from x" in failed_only.content and b"Original story" not in failed_only.content
    )
    assert f'hx-post="/articles/{failed.id}/retry/"'.encode() in failed_only.content
    assert b"Same text" in detail.content


# Batches: one claim and one store transaction for many articles ----------------------------


def _batch(web, texts: dict[str, str]) -> list[int]:
    for path, text in texts.items():
        web.routes[path] = respond(200, page("Story", text))
    return services.submit_urls(urls=[web.url(path) for path in texts])


def test_it_stores_a_batch_deduplicating_it_within_and_against_stored_articles(
    db, web, loopback_allowed, django_capture_on_commit_callbacks
):
    stored = _pasted(distinct_text(30), title="Stored")
    services.process_article(article_id=stored.id)
    web.routes["/gone"] = respond(404, "no such story", content_type="text/plain")
    ids = _batch(
        web,
        {
            "/first": distinct_text(31),
            "/same-text": distinct_text(31),
            "/edited-first": distinct_text(31) + " Updated at noon.",
            "/edited-stored": distinct_text(30) + " Corrected.",
            "/short": "Too short to be an article.",
        },
    ) + services.submit_urls(urls=[web.url("/gone")])
    ready: list[int] = []
    article_ready.connect(lambda sender, article_id, **kw: ready.append(article_id), weak=False)

    with django_capture_on_commit_callbacks(execute=True):
        retries = services.process_batch(article_ids=ids)

    first, same, edited_first, edited_stored, short, gone = (Article.objects.get(id=i) for i in ids)
    assert retries == []
    assert first.status == ArticleStatus.EXTRACTED and first.language == "en"
    assert (same.duplicate_of_id, same.duplicate_kind) == (first.id, DuplicateKind.EXACT)
    assert (edited_first.duplicate_of_id, edited_first.duplicate_kind) == (
        first.id,
        DuplicateKind.NEAR,
    )
    assert (edited_stored.duplicate_of_id, edited_stored.duplicate_kind) == (
        stored.id,
        DuplicateKind.NEAR,
    )
    assert short.status == gone.status == ArticleStatus.FAILED
    assert "only" in short.failure_reason and "HTTP 404" in gone.failure_reason
    assert ready == [first.id]
    assert [e.status for e in first.events.all()] == ["queued", "fetched", "extracted"]
    assert first.revisions.get().text == first.text
    assert set(ArticleBand.objects.values_list("article_id", flat=True)) == {stored.id, first.id}
    assert all(a.lease_until is None for a in (first, same, short, gone))


def test_it_runs_a_redelivered_batch_one_article_at_a_time(db, web, loopback_allowed):
    ids = _batch(web, {f"/r{n}": distinct_text(40 + n) for n in range(4)})
    services.process_batch(article_ids=ids[:1])
    # As a killed worker leaves them: claimed once, one lease run out, one still held.
    Article.objects.filter(id=ids[1]).update(attempts=1, lease_until=timezone.now())
    Article.objects.filter(id=ids[2]).update(
        attempts=1, lease_until=timezone.now() + timedelta(seconds=60)
    )

    retries = services.process_batch(article_ids=ids)

    articles = {a.id: a for a in Article.objects.filter(id__in=ids)}
    assert [articles[i].status for i in ids] == [
        ArticleStatus.EXTRACTED,
        ArticleStatus.EXTRACTED,
        ArticleStatus.QUEUED,
        ArticleStatus.EXTRACTED,
    ]
    assert [articles[i].events.filter(status="extracted").count() for i in ids] == [1, 1, 0, 1]
    (held, countdown), *others = retries
    assert held == ids[2] and 1 <= countdown <= 60 and not others


def test_it_stores_a_batch_with_the_same_queries_however_many_are_stored(db, web, loopback_allowed):
    def queries_for_a_batch(seed: int) -> int:
        ids = _batch(web, {f"/q{seed}-{n}": distinct_text(seed + n) for n in range(5)})
        with CaptureQueriesContext(connection) as queries:
            services.process_batch(article_ids=ids)
        assert Article.objects.filter(id__in=ids, status="extracted").count() == 5
        return len(queries)

    few = queries_for_a_batch(1000)
    for start in range(2000, 2060, 20):
        services.process_batch(
            article_ids=_batch(web, {f"/s{start + n}": distinct_text(start + n) for n in range(20)})
        )
    many = queries_for_a_batch(3000)

    assert few == many


def test_it_plans_the_pipelines_queries_as_index_probes_with_stale_statistics(
    db, web, loopback_allowed
):
    """Statistics taken when every article was stored, then a queue of 20,000 arrives (a big
    import; autovacuum off or not yet run): the claim, the look-up and the write must still
    touch only the batch's rows, never walk the queue or scan the bands."""
    fill = (
        "INSERT INTO articles_article (url, canonical_url, origin, outlet, title, language,"
        " text, content_hash, status, attempts, author, duplicate_kind, failure_reason,"
        " summary, created_at, updated_at) SELECT 'https://q.example/' || n || %s,"
        " 'https://q.example/' || n || %s, 'feed', 'q.example', '', '', '', '', %s, 0, '',"
        " '', '', '', now(), now() FROM generate_series(1, %s) AS n"
    )
    with connection.cursor() as cursor:
        cursor.execute(fill, ["/stored", "/stored", "extracted", 2000])
        cursor.execute(
            "INSERT INTO articles_articleband (article_id, key) SELECT a.id, (a.id * 16 + k)"
            " FROM articles_article AS a, generate_series(0, 15) AS k"
        )
        cursor.execute("ANALYZE articles_article, articles_articleband")
        cursor.execute(fill, ["/queued", "/queued", "queued", 20000])
    ids = _batch(web, {f"/p{n}": distinct_text(500 + n) for n in range(20)})

    with CaptureQueriesContext(connection) as queries:
        services.process_batch(article_ids=ids)

    plans = []
    with connection.cursor() as cursor:
        for query in queries:
            statement = query["sql"].split("; ")[-1]  # after the SET LOCAL and the locks
            if "articles_article" in statement and statement.lstrip()[:6] in (
                "SELECT",
                "UPDATE",
                "WITH v",
            ):
                cursor.execute(f"EXPLAIN {statement}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert len(plans) >= 3  # the claim, the look-up, the write
    for plan in plans:
        assert "Seq Scan on articles_article" not in plan, plan
        assert "article_status_lease_idx" not in plan, plan
    assert Article.objects.filter(id__in=ids, status="extracted").count() == 20


def test_it_fetches_a_slow_servers_pages_several_at_a_time(db, web, loopback_allowed):
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow(body: str):
        def route(handler):
            with lock:
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
            time.sleep(0.2)
            with lock:
                in_flight[0] -= 1
            respond(200, page("Slow", body))(handler)

        return route

    for n in range(9):
        web.routes[f"/slow{n}"] = slow(distinct_text(600 + n))
    ids = services.submit_urls(urls=[web.url(f"/slow{n}") for n in range(9)])

    services.process_batch(article_ids=ids)

    assert set(Article.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        ArticleStatus.EXTRACTED
    }
    assert 1 < most[0] <= services.FETCH_CONCURRENCY


# robots.txt ----------------------------------------------------------------------------------


@pytest.fixture
def robots_rules(web, loopback_allowed):
    from articles import robots

    robots.forget()
    yield web
    robots.forget()


def test_it_follows_robots_txt_for_feeds_not_for_an_editors_own_url(db, robots_rules):
    web = robots_rules
    web.routes["/robots.txt"] = respond(
        200,
        "User-agent: *\nAllow: /\n\nUser-agent: StanceBot\nDisallow: /private/\n",
        content_type="text/plain",
    )
    for n, path in enumerate(("/private/a", "/public/b", "/private/c")):
        web.routes[path] = respond(200, page("Story", distinct_text(700 + n)))
    listed = services.submit_many(
        submissions=[
            services.Submission(url=web.url("/private/a")),
            services.Submission(url=web.url("/public/b")),
        ],
        origin=Origin.FEED,
    )
    asked, _ = services.submit_url(url=web.url("/private/c"))

    services.process_batch(article_ids=listed)
    services.process_article(article_id=asked.id)

    private, public = (Article.objects.get(id=i) for i in listed)
    asked.refresh_from_db()
    assert private.status == ArticleStatus.FAILED
    assert "refused by the robots.txt" in private.failure_reason
    assert public.status == asked.status == ArticleStatus.EXTRACTED
    assert "/private/a" not in web.hits
    assert web.hits["/robots.txt"] == 1  # read once for the site


def test_it_retries_a_feeds_article_while_robots_txt_cannot_be_read(db, robots_rules):
    web = robots_rules
    web.routes["/robots.txt"] = respond(503, "busy", content_type="text/plain")
    web.routes["/later"] = respond(200, page("Story", distinct_text(710)))
    listed = services.submit_many(
        submissions=[services.Submission(url=web.url("/later"))], origin=Origin.FEED
    )

    retries = services.process_batch(article_ids=listed)

    article = Article.objects.get(id=listed[0])
    assert [article_id for article_id, _ in retries] == listed
    assert article.status == ArticleStatus.QUEUED and article.lease_until is None
    assert "robots.txt" in article.events.last().message
    assert "/later" not in web.hits


def test_it_stops_a_server_that_trickles_its_headers_at_the_deadline(web, loopback_allowed):
    def trickle_headers(handler):
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 1000:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    web.routes["/trickle"] = trickle_headers
    loopback_allowed.INGEST_FETCH_DEADLINE_SECONDS = 1.0
    started = time.monotonic()

    with pytest.raises(FetchError) as slow:
        safe_fetch(web.url("/trickle"))

    assert "deadline" in slow.value.reason and not slow.value.permanent
    assert time.monotonic() - started < 5  # the deadline, not 100 reads of 0.1 s


def test_it_follows_a_redirect_whose_location_is_raw_utf8(web, loopback_allowed):
    location = "/café".encode().decode("latin-1")  # the bytes many servers send
    web.routes["/moved"] = redirect(location)
    web.routes["/caf%C3%A9"] = respond(200, "arrived")

    assert safe_fetch(web.url("/moved")).body == b"arrived"


def test_it_fails_only_the_article_that_breaks_extraction_in_a_batch(
    db, web, loopback_allowed, monkeypatch
):
    ids = _batch(web, {f"/iso{n}": distinct_text(800 + n) for n in range(3)})
    extract = services.extract

    def breaks_on_the_second(data, **kwargs):
        if kwargs.get("url", "").endswith("/iso1"):
            raise ValueError("a library broke on this page")  # as pypdf or lxml may
        return extract(data, **kwargs)

    monkeypatch.setattr(services, "extract", breaks_on_the_second)

    services.process_batch(article_ids=ids)

    statuses = [Article.objects.get(id=i) for i in ids]
    assert [a.status for a in statuses] == ["extracted", "failed", "extracted"]
    assert "a library broke" in statuses[1].failure_reason


def test_it_frees_its_own_claims_when_a_batch_stops_and_not_anothers(
    db, web, loopback_allowed, monkeypatch
):
    ids = _batch(web, {f"/stop{n}": distinct_text(810 + n) for n in range(3)})
    theirs = timezone.now() + timedelta(minutes=5)
    Article.objects.filter(id=ids[2]).update(attempts=1, lease_until=theirs)

    from celery.exceptions import SoftTimeLimitExceeded

    def stopped(items):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "_store", stopped)

    with pytest.raises(SoftTimeLimitExceeded):
        services.process_batch(article_ids=ids)

    mine, also_mine, other = (Article.objects.get(id=i) for i in ids)
    assert mine.lease_until is None and also_mine.lease_until is None
    assert mine.status == ArticleStatus.QUEUED and mine.attempts == 1
    assert "will retry" in mine.events.last().message
    assert other.lease_until == theirs
    assert sorted(services.still_pending(article_ids=ids)) == ids


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Les négociations de Genève ont duré deux jours et n'ont rien donné.", "fr"),
        ("Переговори у Женеві тривали два дні, сторони обговорили обмін полоненими.", "uk"),
        ("Переговоры в Женеве продолжались два дня, стороны обсудили обмен пленными.", "ru"),
        ("和平谈判在日内瓦举行，双方代表讨论了停火问题。", ""),  # no language we know
        ("12 345 — 2025-08-18", ""),
    ],
)
def test_it_identifies_the_language_among_those_it_knows_or_none(text, language):
    from articles.extraction import detect_language

    assert detect_language(text) == language


def test_it_fails_only_the_article_whose_fetch_breaks_in_a_batch(
    db, web, loopback_allowed, monkeypatch
):
    ids = _batch(web, {f"/odd{n}": distinct_text(820 + n) for n in range(3)})
    obtain = services._obtain

    def breaks_on_the_first(article):
        if article.url.endswith("/odd0"):
            raise UnicodeError("a library broke on this answer")
        return obtain(article)

    monkeypatch.setattr(services, "_obtain", breaks_on_the_first)

    services.process_batch(article_ids=ids)

    statuses = [Article.objects.get(id=i) for i in ids]
    assert [a.status for a in statuses] == ["failed", "extracted", "extracted"]
    assert "a library broke" in statuses[0].failure_reason
