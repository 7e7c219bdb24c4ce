"""Search keys of persons: pinyin without spaces, with a polyphonic surname read as a surname, and
initials (``renkou.registry.search``), indexed; filled for the persons already in the register.
Persons and households name the ``import`` audit event of the file that wrote them (``import_batch``)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from renkou.registry.search import pinyin_keys

    Person = apps.get_model("registry", "Person")
    table = Person._meta.db_table
    conn = schema_editor.connection
    last = 0
    with conn.cursor() as cur:
        while True:
            cur.execute(f"SELECT id, name FROM {conn.ops.quote_name(table)} WHERE id > %s ORDER BY id LIMIT 5000",
                        [last])
            rows = cur.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            cur.executemany(f"UPDATE {conn.ops.quote_name(table)} SET pinyin_key = %s, pinyin_alt = %s, "
                            "pinyin_initials = %s WHERE id = %s", [(*pinyin_keys(name), pk) for pk, name in rows])


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_finding_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='person',
            name='pinyin_alt',
            field=models.CharField(blank=True, db_index=True, max_length=120, verbose_name='pinyin search key, surname reading'),
        ),
        migrations.AddField(
            model_name='person',
            name='pinyin_initials',
            field=models.CharField(blank=True, db_index=True, max_length=30, verbose_name='pinyin initials'),
        ),
        migrations.AddField(
            model_name='person',
            name='pinyin_key',
            field=models.CharField(blank=True, db_index=True, max_length=120, verbose_name='pinyin search key'),
        ),
        migrations.AddField(
            model_name='household',
            name='import_batch',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='import batch (audit event)'),
        ),
        migrations.AddField(
            model_name='person',
            name='import_batch',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='import batch (audit event)'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
