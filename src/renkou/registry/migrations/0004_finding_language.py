"""Check findings in two languages: ``message``/``fix`` keep the Chinese text, ``message_en``/``fix_en``
take the English one. Rows written before held "中文 / English" in one field: they are split at the
first " / "."""

from django.db import migrations, models


def split(apps, schema_editor):
    Finding = apps.get_model("registry", "Finding")
    batch = []
    qs = Finding.objects.filter(message_en="").filter(
        models.Q(message__contains=" / ") | models.Q(fix__contains=" / "))
    for f in qs.only("pk", "message", "fix", "message_en", "fix_en").iterator(chunk_size=2000):
        if " / " in f.message:
            f.message, f.message_en = f.message.split(" / ", 1)
        if " / " in f.fix:
            f.fix, f.fix_en = f.fix.split(" / ", 1)
        batch.append(f)
        if len(batch) >= 2000:
            Finding.objects.bulk_update(batch, ["message", "fix", "message_en", "fix_en"])
            batch = []
    if batch:
        Finding.objects.bulk_update(batch, ["message", "fix", "message_en", "fix_en"])


def join(apps, schema_editor):
    Finding = apps.get_model("registry", "Finding")
    batch = []
    for f in Finding.objects.exclude(message_en="").only("pk", "message", "fix", "message_en", "fix_en") \
            .iterator(chunk_size=2000):
        f.message = f"{f.message} / {f.message_en}"[:400]
        if f.fix_en:
            f.fix = f"{f.fix} / {f.fix_en}"[:300]
        batch.append(f)
        if len(batch) >= 2000:
            Finding.objects.bulk_update(batch, ["message", "fix"])
            batch = []
    if batch:
        Finding.objects.bulk_update(batch, ["message", "fix"])


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_alter_person_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="message_en",
            field=models.CharField(blank=True, max_length=400, verbose_name="message (English)"),
        ),
        migrations.AddField(
            model_name="finding",
            name="fix_en",
            field=models.CharField(blank=True, max_length=300, verbose_name="how to fix (English)"),
        ),
        migrations.RunPython(split, join),
    ]
