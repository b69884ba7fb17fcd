"""Outlets were host names (edition.cnn.com and cnn.com counted as two outlets of a story);
they are now registered domains. Stored outlets are rewritten the same way."""

import tldextract
from django.db import migrations


def to_registered_domains(apps, schema_editor) -> None:
    article_model = apps.get_model("articles", "Article")
    domains = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )
    hosts = article_model.objects.exclude(outlet="").values_list("outlet", flat=True).distinct()
    for host in list(hosts):
        outlet = domains(host).top_domain_under_public_suffix or host
        if outlet != host:
            article_model.objects.filter(outlet=host).update(outlet=outlet)


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_event_elapsed_fractions")]

    operations = [migrations.RunPython(to_registered_domains, migrations.RunPython.noop)]
