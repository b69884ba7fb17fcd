"""The stance suggester's default lexicon (v1): stance, negation, conditional, reporting and
commentary cues, the issue cues that name a stop on each issue's scale, per language, and a few
more party aliases (adjectives) that news sentences use as subjects.

Frozen in lexicon_v1.json beside this file, like the codebook; admins edit it in the admin
afterwards. Admins may change it; analysts and editors may read it.
"""

import json
from pathlib import Path

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEXICON = Path(__file__).with_name("lexicon_v1.json")


def install(apps, schema_editor):
    Cue = apps.get_model("negotiations", "Cue")
    IssueCue = apps.get_model("negotiations", "IssueCue")
    Issue = apps.get_model("negotiations", "Issue")
    lexicon = json.loads(LEXICON.read_text(encoding="utf-8"))
    cues = []
    for lang, kinds in lexicon["cues"].items():
        for kind, terms in kinds.items():
            if kind == "stance":
                for act, act_terms in terms.items():
                    cues += [Cue(kind=kind, lang=lang, term=t.lower(), act=act) for t in act_terms]
            else:
                cues += [Cue(kind=kind, lang=lang, term=t.lower()) for t in terms]
    Cue.objects.bulk_create(cues, ignore_conflicts=True)
    issues = {issue.slug: issue for issue in Issue.objects.all()}
    issue_cues = [
        IssueCue(
            issue=issues[slug],
            lang=lang,
            term=term.lower(),
            value=value,
            opposed_value=opposed,
            conditional_value=conditional,
        )
        for slug, langs in lexicon["issue_cues"].items()
        if slug in issues
        for lang, rows in langs.items()
        for term, value, opposed, conditional in rows
    ]
    IssueCue.objects.bulk_create(issue_cues, ignore_conflicts=True)
    # Adjectives that name a party as the subject of news sentences ("European officials
    # said..."), beside the codebook's aliases.
    Party = apps.get_model("negotiations", "Party")
    PartyAlias = apps.get_model("negotiations", "PartyAlias")
    parties = {party.slug: party for party in Party.objects.all()}
    PartyAlias.objects.bulk_create(
        [
            PartyAlias(party=parties[slug], alias=alias, lang=lang)
            for slug, langs in lexicon.get("party_aliases", {}).items()
            if slug in parties
            for lang, aliases in langs.items()
            for alias in aliases
        ],
        ignore_conflicts=True,
    )

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    grants = {
        "analysts": ["view"],
        "editors": ["view"],
        "admins": ["view", "add", "change", "delete"],
    }
    for name, actions in grants.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="negotiations",
                    codename__in=[f"{a}_{m}" for a in actions for m in ("cue", "issuecue")],
                )
            )


class Migration(migrations.Migration):
    dependencies = [("negotiations", "0008_suggestion_lexicon")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
