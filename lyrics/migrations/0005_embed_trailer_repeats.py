"""The shipped "embed trailer" rule removes a run of trailers ("Embed Embed …") in one pass.

A run of them needed one pass each, more than the cleaning's pass limit allows. Only the shipped
pattern is updated: a rule staff have edited is left as they wrote it.
"""

from django.db import migrations

OLD_PATTERN = r"\d*\s*Embed\s*\Z"
NEW_PATTERN = r"(?:\d*\s*Embed\s*)+\Z"


def update(apps, schema_editor, *, old: str, new: str) -> None:
    CleaningRule = apps.get_model("lyrics", "CleaningRule")
    CleaningRule.objects.filter(name="embed trailer", pattern=old).update(pattern=new)


class Migration(migrations.Migration):
    dependencies = [("lyrics", "0004_custom_permissions")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: update(apps, editor, old=OLD_PATTERN, new=NEW_PATTERN),
            lambda apps, editor: update(apps, editor, old=NEW_PATTERN, new=OLD_PATTERN),
        )
    ]
