import pytest
from django.urls import reverse

from negotiations.models import Statement


@pytest.mark.parametrize("url", ["/", "/admin/"])
def test_it_sends_anonymous_users_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_it_shows_positions_to_an_analyst(client, analyst):
    client.force_login(analyst)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"As of" in response.content


def test_it_refuses_positions_to_a_user_without_a_role(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x-y-z-123"))
    assert client.get(reverse("home")).status_code == 403


def test_it_gives_each_role_its_rights(analyst, editor, admin_user):
    assert analyst.has_perm("negotiations.view_statement")
    assert analyst.has_perm("negotiations.export_statement")
    assert not analyst.has_perm("negotiations.add_statement")
    assert not analyst.has_perm("negotiations.change_statement")
    assert not analyst.has_perm("articles.ingest_article")

    assert editor.has_perm("negotiations.change_statement")
    assert editor.has_perm("negotiations.tag_article")
    assert editor.has_perm("articles.ingest_article")
    assert not editor.has_perm("negotiations.change_issue")
    assert not editor.has_perm("articles.change_source")

    assert admin_user.has_perm("negotiations.change_issue")
    assert admin_user.has_perm("negotiations.add_actor")
    assert admin_user.has_perm("articles.change_source")
    assert admin_user.has_perm("auth.change_user")


def test_it_keeps_analysts_out_of_the_admin_and_its_writes(client, analyst, parties, issues):
    client.force_login(analyst)
    assert client.get("/admin/negotiations/statement/add/").status_code == 302
    response = client.post(
        "/admin/negotiations/party/add/", {"slug": "uk", "name": "UK", "short_name": "UK"}
    )
    assert response.status_code == 302
    assert not parties["us"].__class__.objects.filter(slug="uk").exists()
    assert not Statement.objects.exists()


def test_it_lets_admins_keep_the_taxonomy(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/negotiations/issue/").status_code == 200
    response = client.post(
        "/admin/negotiations/party/add/",
        {
            "slug": "uk",
            "name": "United Kingdom",
            "short_name": "UK",
            "color": "#123456",
            "order": 5,
            "aliases-TOTAL_FORMS": 0,
            "aliases-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    assert parties_named("United Kingdom")


def parties_named(name: str) -> bool:
    from negotiations.models import Party

    return Party.objects.filter(name=name).exists()


def test_it_answers_health_checks_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
