"""The three roles as groups: analysts read and export, editors also tag and ingest, admins also
keep the taxonomy, the sources and the users. Admins get the Django admin (is_staff)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ANALYST = [
    *(
        f"negotiations.view_{m}"
        for m in (
            "party",
            "partyalias",
            "actor",
            "actoralias",
            "office",
            "officealias",
            "tenure",
            "issue",
            "scalestop",
            "statement",
        )
    ),
    "negotiations.export_statement",
    "articles.view_source",
    "articles.view_article",
]
EDITOR = [
    *ANALYST,
    "negotiations.add_statement",
    "negotiations.change_statement",
    "negotiations.tag_article",
    "articles.add_article",
    "articles.change_article",
    "articles.ingest_article",
]
ADMIN = [
    *EDITOR,
    *(
        f"negotiations.{action}_{m}"
        for action in ("add", "change", "delete")
        for m in (
            "party",
            "partyalias",
            "actor",
            "actoralias",
            "office",
            "officealias",
            "tenure",
            "issue",
            "scalestop",
        )
    ),
    *(f"articles.{action}_source" for action in ("add", "change", "delete")),
    "articles.delete_article",
    *(f"auth.{action}_user" for action in ("view", "add", "change")),
    "auth.view_group",
]
ROLES = {"analysts": ANALYST, "editors": EDITOR, "admins": ADMIN}


def install(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("negotiations", "0003_default_codebook"),
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
