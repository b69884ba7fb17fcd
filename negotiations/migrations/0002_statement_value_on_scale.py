from django.db import migrations


class Migration(migrations.Migration):
    """A statement's value must be a stop of its issue's scale: a composite foreign key, which
    Django's ORM cannot declare, so it is written in SQL."""

    dependencies = [("negotiations", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=(
                "ALTER TABLE negotiations_statement ADD CONSTRAINT statement_value_on_issue_scale "
                "FOREIGN KEY (issue_id, value) REFERENCES negotiations_scalestop (issue_id, value);"
            ),
            reverse_sql=(
                "ALTER TABLE negotiations_statement DROP CONSTRAINT statement_value_on_issue_scale;"
            ),
        )
    ]
