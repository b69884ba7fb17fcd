"""The pipeline end to end: a real Celery worker, Redis, PostgreSQL and loopback HTTP servers."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from articles import services
from articles.models import (
    Article,
    ArticleBand,
    ArticleEvent,
    ArticleRevision,
    ArticleStatus,
    DuplicateKind,
    Source,
)
from tests.conftest import SEED_ARTICLE
from tests.ingest_support import (
    distinct_text,
    gzip_bomb,
    huge,
    page,
    redirect,
    respond,
    slow_drip,
    wait_for,
)

pytestmark = [
    pytest.mark.pipeline,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TERMINAL = (ArticleStatus.EXTRACTED, ArticleStatus.DUPLICATE, ArticleStatus.FAILED)

WIRE = (
    "KYIV, March 12 (Wire) - Ukrainian and Russian delegations met in Geneva on Wednesday for a "
    "third round of talks on a ceasefire along the front line, officials on both sides said.\n\n"
    "The talks, mediated by Turkey and the United States, focused on the exchange of prisoners, "
    "the safety of the Zaporizhzhia nuclear plant and shipping in the Black Sea.\n\n"
    "A Ukrainian negotiator said Kyiv would not accept any agreement that recognised Russian "
    "control over occupied territory, while a Russian official said Moscow wanted guarantees "
    "that Ukraine would never join NATO.\n\n"
    "Diplomats said a further meeting could take place within two weeks if both sides agreed on "
    "a text for the humanitarian measures discussed on Wednesday afternoon."
)


OTHER = (
    "BRUSSELS (Agency) - European Union foreign ministers agreed on Monday to extend sanctions "
    "on Russian banks and energy companies for another six months, diplomats said.\n\n"
    "The decision, which needs the unanimous backing of member states, came after Hungary lifted "
    "its objection in exchange for assurances about gas transit through pipelines.\n\n"
    "Ministers also discussed the use of frozen Russian central bank assets to fund Ukraine's "
    "reconstruction, a plan that several capitals still consider legally risky."
)


def settle(*ids: int, timeout: float = 30.0) -> dict[int, Article]:
    wait_for(
        lambda: not Article.objects.filter(id__in=ids).exclude(status__in=TERMINAL).exists(),
        timeout,
        f"articles {ids} to settle",
    )
    return Article.objects.in_bulk(ids)


def test_it_ingests_a_submitted_url_and_shows_its_progress(client, editor, web, pipeline_worker):
    web.routes["/news/talks"] = respond(
        200,
        page("Talks in Geneva", WIRE, extra_head='<meta name="author" content="Jane Roe">'),
    )
    client.force_login(editor)

    response = client.post(
        reverse("articles:submit"), {"url": web.url("/news/talks?utm_source=x#top")}
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert response["Location"] == reverse("articles:detail", args=[article.id])

    status = client.get(response["Location"], headers={"HX-Request": "true"})
    assert status.status_code == 200
    assert b'id="article-status"' in status.content
    assert b"<html" not in status.content

    article = settle(article.id)[article.id]
    assert article.status == ArticleStatus.EXTRACTED
    assert article.title == "Talks in Geneva"
    assert article.author == "Jane Roe"
    assert article.language == "en"
    assert "Zaporizhzhia nuclear plant" in article.text
    assert article.canonical_url.endswith("/news/talks")
    revision = ArticleRevision.objects.get(article=article)
    assert revision.text == article.text and revision.content_hash == article.content_hash
    assert ArticleBand.objects.filter(article=article).count() == 16
    events = list(article.events.values_list("status", flat=True))
    assert events == ["queued", "fetched", "extracted"]
    assert web.request_headers["/news/talks"]["User-Agent"].startswith("StanceBot")

    final = client.get(
        reverse("articles:detail", args=[article.id]), headers={"HX-Request": "true"}
    )
    assert b"hx-trigger" not in final.content
    assert b"Extracted" in final.content


def _rss(*urls: str) -> str:
    items = "".join(
        f"<item><title>Item {n}</title><link>{url}</link>"
        f"<pubDate>Wed, 12 Mar 2025 10:00:00 GMT</pubDate>"
        f"<description>&lt;p onclick='x()'&gt;Summary&lt;script&gt;alert(1)&lt;/script&gt;"
        f"&lt;/p&gt;</description></item>"
        for n, url in enumerate(urls)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def test_it_polls_a_feed_and_links_wire_copies_to_their_original(
    client, web, pipeline_worker, loopback_allowed, editor
):
    edited = WIRE.replace("officials on both sides", "officials from both sides")
    web.routes["/a/wire-1"] = respond(200, page("Geneva talks", WIRE))
    web.routes["/b/wire-copy"] = respond(200, page("Geneva talks", edited))
    web.routes["/c/same-text"] = respond(200, page("Geneva talks", WIRE))
    original_url = web.url("/a/wire-1")
    near_url, exact_url = web.url("/b/wire-copy", "localhost"), web.url("/c/same-text")
    web.routes["/feed.xml"] = respond(200, _rss(original_url), content_type="application/rss+xml")
    call_command("add_feed", web.url("/feed.xml"), "--name", "Wire", "--interval", "5")
    call_command("poll_feeds", "--wait", "--timeout", "30")
    web.routes["/feed.xml"] = respond(
        200,
        _rss(original_url, near_url, exact_url),
        content_type="application/rss+xml",
        headers={"ETag": '"v2"'},
    )

    call_command("poll_feeds", "--wait", "--timeout", "30")

    original = Article.objects.get(url=original_url)
    near, exact = Article.objects.get(url=near_url), Article.objects.get(url=exact_url)
    assert original.status == ArticleStatus.EXTRACTED
    assert original.source.name == "Wire"
    assert original.published_on.isoformat() == "2025-03-12"
    assert "Summary" in original.summary
    assert "<script" not in original.summary and "onclick" not in original.summary
    assert (near.status, near.duplicate_of_id, near.duplicate_kind) == (
        ArticleStatus.DUPLICATE,
        original.id,
        DuplicateKind.NEAR,
    )
    assert (exact.status, exact.duplicate_of_id, exact.duplicate_kind) == (
        ArticleStatus.DUPLICATE,
        original.id,
        DuplicateKind.EXACT,
    )
    client.force_login(editor)
    detail = client.get(reverse("articles:detail", args=[original.id]))
    assert b"2 outlets: 127.0.0.1, localhost" in detail.content

    source = Source.objects.get(name="Wire")
    assert source.etag == '"v2"' and "3 entries, 2 new" in source.last_poll_status

    # The next poll sends the ETag back; the feed answers 304 and nothing new is queued.
    web.routes["/feed.xml"] = respond(304, b"", content_type="")
    call_command("poll_feeds")
    assert web.request_headers["/feed.xml"]["If-None-Match"] == '"v2"'
    source.refresh_from_db()
    assert "not modified" in source.last_poll_status
    assert Article.objects.count() == 3


def test_it_fetches_a_due_feed_once_when_triggered_twice(web, pipeline_worker, loopback_allowed):
    web.routes["/feed.xml"] = respond(
        200,
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed>',
        content_type="application/atom+xml",
    )
    source = services.create_feed_source(url=web.url("/feed.xml"), interval_minutes=30)

    # Two beats each enqueue the same due feed.
    from articles.tasks import poll_due_feeds

    poll_due_feeds.delay()
    poll_due_feeds.delay()
    wait_for(lambda: Source.objects.get(id=source.id).last_polled_at is not None, 20)
    time.sleep(1)  # room for the second trigger to (wrongly) fetch too
    assert web.hits["/feed.xml"] == 1
    source.refresh_from_db()
    assert source.next_poll_at > source.last_polled_at
    assert source.last_poll_status == "0 entries, 0 new"


def test_it_stores_a_new_revision_when_the_outlet_edits_the_text(web, pipeline_worker):
    web.routes["/story"] = respond(200, page("Talks", WIRE))
    article, _ = services.submit_url(url=web.url("/story"))
    first = settle(article.id)[article.id]
    assert first.status == ArticleStatus.EXTRACTED

    web.routes["/story"] = respond(200, page("Talks", WIRE.replace("third round", "fourth round")))
    assert services.refetch_article(article_id=article.id)
    wait_for(lambda: ArticleRevision.objects.filter(article=article).count() == 2, 20)

    article.refresh_from_db()
    revisions = list(ArticleRevision.objects.filter(article=article).order_by("number"))
    assert "third round" in revisions[0].text and "fourth round" in revisions[1].text
    assert article.text == revisions[1].text and article.content_hash != first.content_hash
    assert ArticleEvent.objects.filter(article=article, message__contains="revision 2").exists()

    # The same text again adds no revision.
    services.refetch_article(article_id=article.id)
    wait_for(lambda: article.events.filter(message__contains="unchanged").exists(), 20)
    assert ArticleRevision.objects.filter(article=article).count() == 2


def test_it_retries_a_transient_error_and_not_a_permanent_one(web, pipeline_worker):
    calls = {"n": 0}
    ok = respond(200, page("Flaky", WIRE))

    def flaky(handler):
        calls["n"] += 1
        (respond(503, "busy") if calls["n"] == 1 else ok)(handler)

    web.routes["/flaky"] = flaky
    flaky_article, _ = services.submit_url(url=web.url("/flaky"))
    missing, _ = services.submit_url(url=web.url("/missing"))

    done = settle(flaky_article.id, missing.id)

    assert done[flaky_article.id].status == ArticleStatus.EXTRACTED
    assert web.hits["/flaky"] == 2
    assert done[flaky_article.id].events.filter(message__contains="will retry: HTTP 503").exists()
    assert done[missing.id].status == ArticleStatus.FAILED
    assert "HTTP 404" in done[missing.id].failure_reason
    assert web.hits["/missing"] == 1


def test_it_lets_an_editor_retry_a_failed_article(client, editor, web, pipeline_worker):
    article, _ = services.submit_url(url=web.url("/later"))
    assert settle(article.id)[article.id].status == ArticleStatus.FAILED
    web.routes["/later"] = respond(200, page("Later", WIRE))
    client.force_login(editor)

    response = client.post(
        reverse("articles:retry", args=[article.id]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert f'id="article-{article.id}"'.encode() in response.content
    assert settle(article.id)[article.id].status == ArticleStatus.EXTRACTED
    statuses = list(article.events.values_list("status", flat=True))
    assert statuses == ["queued", "failed", "queued", "fetched", "extracted"]


def test_it_ends_hostile_and_broken_inputs_in_a_clear_state(web, pipeline_worker):
    """Each input ends failed (with its reason) or extracted; the good page beside them is kept."""
    scripted = page(
        "Clean <b>title</b>",
        OTHER.replace("diplomats", "<span onmouseover='steal()'>diplomats</span>"),
        extra_head="<script>document.write('injected-by-script')</script>",
    ).replace("<footer>", "<script>alert('pwned')</script><img src=x onerror=alert(1)><footer>")
    ukrainian = (
        "Переговори у Женеві тривали весь день. Українська делегація наполягала на повному "
        "припиненні вогню вздовж лінії фронту та на обміні полоненими за формулою всіх на всіх. "
    ) * 4
    russian = (
        "Переговоры в Женеве продолжались весь день. Российская делегация настаивала на "
        "гарантиях того, что Украина никогда не вступит в НАТО, и на снятии санкций. "
    ) * 4
    cases = {
        "/ok": (respond(200, page("Fine", WIRE)), "extracted", ""),
        "/huge-declared": (huge(50 * 1024 * 1024, declare_length=True), "failed", "larger than"),
        "/huge-chunked": (huge(50 * 1024 * 1024, declare_length=False), "failed", "larger than"),
        "/gzip-bomb": (gzip_bomb(), "failed", "larger than"),
        "/slow": (slow_drip(), "failed", "too slow"),
        "/to-metadata": (
            redirect("http://169.254.169.254/latest/meta-data/"),
            "failed",
            "metadata",
        ),
        "/to-mapped-metadata": (redirect("http://[::ffff:169.254.169.254]/"), "failed", "metadata"),
        "/to-private": (redirect("http://10.1.2.3/admin"), "failed", "private"),
        "/to-file": (redirect("file:///etc/passwd"), "failed", "not an http(s) URL"),
        "/loop": (redirect("/loop"), "failed", "too many redirects"),
        "/image": (
            respond(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png"),
            "failed",
            "not an article: content type image/png",
        ),
        "/login": (respond(200, page("Log in", "Please log in.")), "failed", "characters of text"),
        "/gone": (respond(410, "gone"), "failed", "HTTP 410"),
        "/brotli": (respond(200, b"xx", headers={"Content-Encoding": "br"}), "failed", "encoding"),
        "/corrupt-gzip": (
            respond(200, b"\x1f\x8b\x08\x00garbage" * 10, headers={"Content-Encoding": "gzip"}),
            "failed",
            "corrupt",
        ),
        "/binary": (
            respond(200, bytes(range(256)) * 40, content_type="application/octet-stream"),
            "failed",
            "not an article",
        ),
        "/scripts": (respond(200, scripted), "extracted", ""),
        "/wrong-charset": (
            respond(
                200,
                page("Мир", ukrainian).encode("utf-8"),
                content_type="text/html; charset=iso-8859-1",
            ),
            "extracted",
            "",
        ),
        "/no-charset": (
            respond(
                200,
                page("Мир", russian).replace('<meta charset="utf-8">', "").encode("cp1251"),
                content_type="text/html",
            ),
            "extracted",
            "",
        ),
        "/empty": (respond(200, b"", content_type="text/html"), "failed", "no article text"),
    }
    for path, (route, _, _) in cases.items():
        web.routes[path] = route
    ids = {path: services.submit_url(url=web.url(path))[0].id for path in cases}

    done = settle(*ids.values(), timeout=90)

    for path, (_, status, reason) in cases.items():
        article = done[ids[path]]
        assert article.status == status, (path, article.status, article.failure_reason)
        assert reason in article.failure_reason, (path, article.failure_reason)
        if status == "failed":
            assert article.events.filter(status="failed", message=article.failure_reason).exists()
    scripted_article = done[ids["/scripts"]]
    assert scripted_article.title == "Clean title"
    for needle in ("alert", "pwned", "injected-by-script", "steal", "onerror"):
        assert needle not in scripted_article.text
    assert "Переговори у Женеві" in done[ids["/wrong-charset"]].text
    assert done[ids["/wrong-charset"]].language == "uk"
    assert "Переговоры в Женеве" in done[ids["/no-charset"]].text
    assert done[ids["/no-charset"]].language == "ru"
    assert "(after 3 attempts)" in done[ids["/slow"]].failure_reason
    assert web.hits["/gone"] == 1 and web.hits["/to-metadata"] == 1
    assert Article.objects.count() == len(cases)


def test_it_keeps_one_article_when_the_same_url_is_submitted_twice_at_once(web, pipeline_worker):
    web.routes["/once"] = respond(200, page("Once", WIRE))
    web.routes["/once/amp"] = respond(200, page("Once", WIRE))  # whichever variant wins is fetched
    barrier = threading.Barrier(4)
    results: list[tuple[int, bool]] = []

    def submit(url: str) -> None:
        from django.db import connection

        barrier.wait()
        try:
            article, created = services.submit_url(url=url)
            results.append((article.id, created))
        finally:
            connection.close()

    urls = [
        web.url("/once"),
        web.url("/once?utm_campaign=x"),
        web.url("/once#comments"),
        web.url("/once/amp"),
    ]
    threads = [threading.Thread(target=submit, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({article_id for article_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    article_id = results[0][0]
    assert settle(article_id)[article_id].status == ArticleStatus.EXTRACTED
    assert Article.objects.count() == 1
    assert ArticleRevision.objects.count() == 1


def test_it_ingests_uploads_and_pasted_text(client, editor, pipeline_worker, tmp_path):
    client.force_login(editor)
    seed = SEED_ARTICLE.read_text(encoding="utf-8")

    pasted = client.post(
        reverse("articles:paste"),
        {"title": "Seed", "published_on": "2025-08-18", "language": "fr", "text": seed},
    )
    html = client.post(
        reverse("articles:upload"),
        {"file": _file("talks.html", page("Uploaded talks", WIRE.replace("Geneva", "Istanbul")))},
    )
    assert pasted.status_code == 302 and html.status_code == 302

    articles = settle(*Article.objects.values_list("id", flat=True))
    by_title = {a.title: a for a in articles.values()}
    assert by_title["Seed"].status == ArticleStatus.EXTRACTED
    assert by_title["Seed"].text.strip()[:40] == seed.strip()[:40]
    assert by_title["Seed"].language == "fr"
    assert by_title["Uploaded talks"].status == ArticleStatus.EXTRACTED
    assert "Istanbul" in by_title["Uploaded talks"].text

    # The same text again, pasted under another title, is a duplicate of the first.
    client.post(reverse("articles:paste"), {"title": "Seed again", "text": seed})
    again = Article.objects.get(title="Seed again")
    assert settle(again.id)[again.id].duplicate_of_id == by_title["Seed"].id


def test_it_imports_files_folders_and_jsonl(pipeline_worker, tmp_path, web):
    web.routes["/from-jsonl"] = respond(200, page("From JSONL", OTHER))
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "one.txt").write_text(WIRE.replace("Geneva", "Vienna"), encoding="utf-8")
    (folder / "ignored.bin").write_bytes(b"\0\1")
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text(
        '{"title": "Déclaration", "text": "La délégation ukrainienne a rejeté la proposition.", '
        '"published": "12 mars 2025", "lang": "fr"}\n'
        f'{{"url": "{web.url("/from-jsonl")}"}}\n',
        encoding="utf-8",
    )

    call_command("import_articles", str(folder), str(jsonl))

    articles = settle(*Article.objects.values_list("id", flat=True))
    assert len(articles) == 3
    by_title = {a.title: a for a in articles.values()}
    assert by_title["Déclaration"].published_on.isoformat() == "2025-03-12"
    assert by_title["Déclaration"].status == ArticleStatus.EXTRACTED
    assert "Vienna" in by_title["one"].text
    assert by_title["From JSONL"].status == ArticleStatus.EXTRACTED


@pytest.mark.parametrize("submitted", ["one by one", "as batches"])
def test_it_loses_and_duplicates_nothing_when_the_worker_is_killed(
    web, pipeline_worker, settings, submitted
):
    """SIGKILL the worker mid-batch, start it again: each article stored exactly once.

    One by one, each article is its own task; as batches (feeds, imports), 20 share a task,
    a claim and a store transaction, and the re-delivered batch goes on one by one."""
    # Story 5 hangs until the gate opens, so the kill always finds it mid-task.
    gate = threading.Event()

    def slow_page(n: int):
        body = page(f"Story {n}", distinct_text(n))

        def route(handler):
            if n == 5:
                gate.wait(60)
            time.sleep(0.3)
            respond(200, body)(handler)

        return route

    for n in range(24):
        web.routes[f"/batch/{n}"] = slow_page(n)
    urls = [web.url(f"/batch/{n}") for n in range(24)]
    if submitted == "as batches":
        ids = services.submit_urls(urls=urls)
    else:
        ids = [services.submit_url(url=url)[0].id for url in urls]
    wait_for(
        lambda: (
            Article.objects.filter(id=ids[5], lease_until__isnull=False)
            .exclude(status__in=TERMINAL)
            .exists()
        ),
        30,
    )

    pipeline_worker.kill()
    in_flight = (
        Article.objects.filter(id__in=ids, lease_until__isnull=False)
        .exclude(status__in=TERMINAL)
        .count()
    )
    gate.set()
    pipeline_worker.start()
    # Redis re-delivers the unacknowledged messages after the visibility timeout; the sweep
    # re-enqueues from PostgreSQL whatever the broker lost (a message the killed worker had
    # taken from Redis but not yet registered as unacknowledged is gone for good).
    time.sleep(int(pipeline_worker.env["INGEST_LEASE_SECONDS"]) + 1)
    settings.INGEST_REQUEUE_AFTER_SECONDS = 5
    services.requeue_stalled()
    done = settle(*ids, timeout=90)

    assert in_flight >= 1
    assert {a.status for a in done.values()} == {ArticleStatus.EXTRACTED}
    assert ArticleRevision.objects.filter(article_id__in=ids).count() == len(ids)
    assert Article.objects.count() == len(ids)
    for article in done.values():
        assert article.events.filter(status="extracted").count() == 1
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST and settings.CELERY_TASK_ACKS_LATE


def _file(name: str, content: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/html")
