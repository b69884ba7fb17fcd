from datetime import date

from negotiations.models import Actor, Issue, Party, PartyAlias, ScaleStop
from negotiations.selectors import resolve_actor


def test_it_installs_the_four_parties_with_their_slugs(db):
    assert list(Party.objects.values_list("slug", flat=True)) == ["us", "russia", "ukraine", "eu"]


def test_it_installs_six_issues_each_with_five_stops_from_russia_to_ukraine(db):
    issues = Issue.objects.select_related("low_pole_party", "high_pole_party")
    assert [i.slug for i in issues] == [
        "donbas",
        "security_guarantees",
        "sanctions",
        "kyiv_government",
        "ceasefire",
        "leaders_meeting",
    ]
    for issue in issues:
        assert [s.value for s in issue.stops.all()] == [-2, -1, 0, 1, 2]
        assert all(s.label and s.description for s in issue.stops.all())
        assert (issue.low_pole_party.slug, issue.high_pole_party.slug) == ("russia", "ukraine")


def test_it_keeps_the_codebook_wording_of_the_stops(db):
    stop = ScaleStop.objects.get(issue__slug="kyiv_government", value=-2)
    assert "denazification" in stop.description
    stop = ScaleStop.objects.get(issue__slug="sanctions", value=2)
    assert "secondary tariffs" in stop.description


def test_it_knows_party_aliases_in_several_languages_and_scripts(db):
    def party_of(alias: str) -> str:
        slugs = set(PartyAlias.objects.filter(alias=alias).values_list("party__slug", flat=True))
        [slug] = slugs
        return slug

    assert party_of("Moscou") == "russia"
    assert party_of("Київ") == "ukraine"
    assert party_of("Кремль") == "russia"
    assert party_of("les Européens") == "eu"


def test_it_resolves_actors_by_name_in_any_script(db):
    assert resolve_actor(name="Poutine", on=date(2025, 8, 15)).slug == "vladimir-putin"
    assert resolve_actor(name="Зеленський", on=date(2025, 8, 15)).slug == "volodymyr-zelensky"
    assert resolve_actor(name="лавров", on=date(2025, 8, 15)).slug == "sergei-lavrov"
    assert resolve_actor(name="Nobody Known", on=date(2025, 8, 15)) is None


def test_it_resolves_a_title_to_whoever_held_it_on_the_date(db):
    assert resolve_actor(name="the US Secretary of State", on=date(2024, 6, 1)).slug == (
        "antony-blinken"
    )
    assert resolve_actor(name="the US Secretary of State", on=date(2025, 3, 1)).slug == (
        "marco-rubio"
    )
    assert resolve_actor(name="le chef de la diplomatie russe", on=date(2025, 8, 22)).slug == (
        "sergei-lavrov"
    )
    assert resolve_actor(name="le chef de la diplomatie ukrainienne", on=date(2024, 1, 1)).slug == (
        "dmytro-kuleba"
    )
    assert resolve_actor(
        name="la cheffe de la diplomatie européenne", on=date(2025, 1, 5)
    ).slug == ("kaja-kallas")
    # Nobody held the Vice Presidency in this data before Vance took office.
    assert resolve_actor(name="le vice-président américain", on=date(2024, 6, 1)) is None


def test_it_installs_the_codebooks_main_actors_in_their_parties(db):
    expected = {
        "us": {"donald-trump", "jd-vance", "marco-rubio", "steve-witkoff", "keith-kellogg"},
        "russia": {"vladimir-putin", "sergei-lavrov", "dmitry-peskov", "yuri-ushakov"},
        "ukraine": {"volodymyr-zelensky", "andriy-yermak", "andrii-sybiha", "rustem-umerov"},
        "eu": {"ursula-von-der-leyen", "kaja-kallas", "antonio-costa"},
    }
    for party, slugs in expected.items():
        assert slugs <= set(Actor.objects.filter(party__slug=party).values_list("slug", flat=True))
