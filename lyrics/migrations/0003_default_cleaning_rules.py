"""Install the default cleaning rules (lyrics.cleaning.defaults) unless staff already have rules."""

from django.db import migrations


def install_default_rules(apps, schema_editor):
    from lyrics.cleaning.defaults import default_rule_rows

    CleaningRule = apps.get_model("lyrics", "CleaningRule")
    if CleaningRule.objects.exists():
        return
    CleaningRule.objects.bulk_create(CleaningRule(**row) for row in default_rule_rows())


def remove_default_rules(apps, schema_editor):
    from lyrics.cleaning.defaults import default_rule_rows

    CleaningRule = apps.get_model("lyrics", "CleaningRule")
    names = [row["name"] for row in default_rule_rows()]
    CleaningRule.objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("lyrics", "0002_cleaning_rules_and_corpus")]

    operations = [migrations.RunPython(install_default_rules, remove_default_rules)]
