from django.db import migrations, models


def name_known_categories(apps, schema_editor):
    """The default catalog's one disaggregated element: women served, by marital status."""
    DataElement = apps.get_model("indicators", "DataElement")
    for element in DataElement.objects.filter(code="women_served"):
        if not element.categories:
            element.categories = ["marital_status"]
            element.save(update_fields=["categories"])


class Migration(migrations.Migration):

    dependencies = [
        ("indicators", "0002_drop_register_value"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataelement",
            name="categories",
            field=models.JSONField(blank=True, default=list, help_text='codes of the categories the disaggregations are options of, e.g. ["sex", "age_group"]; a disaggregation holds one option of each, joined by |', verbose_name="categories"),
        ),
        migrations.RunPython(name_known_categories, migrations.RunPython.noop),
    ]
