"""The codebook's default data (v1): parties, actors, offices, issues and their scales.

The data is frozen in codebook_v1.json beside this file, so that this migration installs the same
taxonomy whatever the models or the codebook become later. Slugs are stable identifiers.
"""

import json
from datetime import date
from pathlib import Path

from django.db import migrations

CODEBOOK = Path(__file__).with_name("codebook_v1.json")


def install(apps, schema_editor):
    Party = apps.get_model("negotiations", "Party")
    PartyAlias = apps.get_model("negotiations", "PartyAlias")
    Actor = apps.get_model("negotiations", "Actor")
    ActorAlias = apps.get_model("negotiations", "ActorAlias")
    Office = apps.get_model("negotiations", "Office")
    OfficeAlias = apps.get_model("negotiations", "OfficeAlias")
    Tenure = apps.get_model("negotiations", "Tenure")
    Issue = apps.get_model("negotiations", "Issue")
    ScaleStop = apps.get_model("negotiations", "ScaleStop")

    codebook = json.loads(CODEBOOK.read_text(encoding="utf-8"))
    parties = {}
    for row in codebook["parties"]:
        party, _ = Party.objects.update_or_create(
            slug=row["slug"],
            defaults={k: row[k] for k in ("name", "short_name", "color", "order")},
        )
        parties[party.slug] = party
        for lang, aliases in row["aliases"].items():
            for alias in aliases:
                PartyAlias.objects.get_or_create(party=party, alias=alias, lang=lang)
    actors = {}
    for row in codebook["actors"]:
        actor, _ = Actor.objects.update_or_create(
            slug=row["slug"], defaults={"name": row["name"], "party": parties[row["party"]]}
        )
        actors[actor.slug] = actor
        for alias in {row["name"], *row["aliases"]}:
            ActorAlias.objects.get_or_create(actor=actor, alias=alias)
    for row in codebook["offices"]:
        office, _ = Office.objects.update_or_create(
            slug=row["slug"], defaults={"title": row["title"], "party": parties[row["party"]]}
        )
        for alias in {row["title"], *row["aliases"]}:
            OfficeAlias.objects.get_or_create(office=office, alias=alias)
        for actor_slug, start, end in row["tenures"]:
            Tenure.objects.get_or_create(
                office=office,
                actor=actors[actor_slug],
                start=date.fromisoformat(start),
                defaults={"end": date.fromisoformat(end) if end else None},
            )
    for row in codebook["issues"]:
        issue, _ = Issue.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "order": row["order"],
                "low_pole_party": parties["russia"],
                "high_pole_party": parties["ukraine"],
            },
        )
        for value, label, description in row["stops"]:
            ScaleStop.objects.update_or_create(
                issue=issue, value=value, defaults={"label": label, "description": description}
            )


class Migration(migrations.Migration):
    dependencies = [("negotiations", "0002_statement_value_on_scale")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
