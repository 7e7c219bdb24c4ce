"""Departments assessed (县直部门考核): the Department and Contract models; results, targets, inspection
scores and appeals name an area or a department."""


from importlib import import_module

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import renkou.evaluation.models


def drop_guard(apps, schema_editor):
    """The SQLite triggers of 0002 and 0003 name the result tables; they are dropped before the tables are
    rebuilt (SQLite refuses to rebuild a table another table's trigger refers to) and installed after."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in (import_module("renkou.evaluation.migrations.0003_published_run_replace_guard").SQLITE_REVERSE
                + import_module("renkou.evaluation.migrations.0002_published_run_guard")._sqlite_reverse()):
        schema_editor.execute(sql)


def reinstall_guard(apps, schema_editor):
    """SQLite rebuilds a table to alter it, dropping its triggers: the guard of published runs
    (0002, 0003) is installed again, as 0003 installs it."""
    import_module("renkou.evaluation.migrations.0003_published_run_replace_guard").forwards(apps, schema_editor)



class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_audit_hash_chain'),
        ('evaluation', '0003_published_run_replace_guard'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_guard, reinstall_guard),
        migrations.AlterModelOptions(
            name='unitresult',
            options={'ordering': ['run', 'rank', 'unit_id', 'department_id'], 'verbose_name': 'unit result', 'verbose_name_plural': 'unit results'},
        ),
        migrations.AddField(
            model_name='unitresult',
            name='unit_name_en',
            field=models.CharField(blank=True, max_length=150, verbose_name='unit name (English)'),
        ),
        migrations.AlterField(
            model_name='appeal',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.area', verbose_name='unit'),
        ),
        migrations.AlterField(
            model_name='inspectionscore',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.area', verbose_name='unit'),
        ),
        migrations.AlterField(
            model_name='target',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.area', verbose_name='unit'),
        ),
        migrations.AlterField(
            model_name='unitresult',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.area', verbose_name='unit'),
        ),
        migrations.CreateModel(
            name='Department',
            fields=[
                ('code', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='code')),
                ('slug', models.SlugField(max_length=30, verbose_name='code in the county')),
                ('name_zh', models.CharField(max_length=100, verbose_name='name (Chinese)')),
                ('name_en', models.CharField(max_length=150, verbose_name='name (English)')),
                ('feeds_department', models.CharField(blank=True, max_length=20, verbose_name='delivers the feeds of')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('county', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.area', verbose_name='county')),
            ],
            options={
                'verbose_name': 'department',
                'verbose_name_plural': 'departments',
                'ordering': ['county_id', 'order', 'code'],
            },
        ),
        migrations.CreateModel(
            name='Contract',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('signed_on', models.DateField(verbose_name='signed on')),
                ('valid_from', models.DateField(verbose_name='from')),
                ('valid_to', models.DateField(verbose_name='to')),
                ('signatory', models.CharField(blank=True, max_length=100, verbose_name='signed for the unit by')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('scheme', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contracts', to='evaluation.assessmentscheme')),
                ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.area', verbose_name='unit')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluation.department', verbose_name='department')),
            ],
            options={
                'verbose_name': 'responsibility contract',
                'verbose_name_plural': 'responsibility contracts',
                'ordering': ['scheme', 'unit_id', 'department_id'],
            },
            bases=(renkou.evaluation.models.UnitKeyMixin, models.Model),
        ),
        migrations.AddField(
            model_name='appeal',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluation.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='inspectionscore',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluation.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='target',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluation.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='unitresult',
            name='department',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluation.department', verbose_name='department'),
        ),
        migrations.AddConstraint(
            model_name='appeal',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', True), ('unit__isnull', False)), models.Q(('department__isnull', False), ('unit__isnull', True)), _connector='OR'), name='eval_appeal_one_unit'),
        ),
        migrations.AddConstraint(
            model_name='inspectionscore',
            constraint=models.UniqueConstraint(fields=('scheme', 'department', 'sheet'), name='uniq_eval_inspection_department'),
        ),
        migrations.AddConstraint(
            model_name='inspectionscore',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', True), ('unit__isnull', False)), models.Q(('department__isnull', False), ('unit__isnull', True)), _connector='OR'), name='eval_inspection_one_unit'),
        ),
        migrations.AddConstraint(
            model_name='target',
            constraint=models.UniqueConstraint(fields=('scheme', 'department', 'item_code'), name='uniq_eval_target_department'),
        ),
        migrations.AddConstraint(
            model_name='target',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', True), ('unit__isnull', False)), models.Q(('department__isnull', False), ('unit__isnull', True)), _connector='OR'), name='eval_target_one_unit'),
        ),
        migrations.AddConstraint(
            model_name='unitresult',
            constraint=models.UniqueConstraint(fields=('run', 'department'), name='uniq_eval_unit_result_department'),
        ),
        migrations.AddConstraint(
            model_name='unitresult',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', True), ('unit__isnull', False)), models.Q(('department__isnull', False), ('unit__isnull', True)), _connector='OR'), name='eval_unit_result_one_unit'),
        ),
        migrations.AddConstraint(
            model_name='department',
            constraint=models.UniqueConstraint(fields=('county', 'slug'), name='uniq_eval_department_slug'),
        ),
        migrations.AddConstraint(
            model_name='contract',
            constraint=models.UniqueConstraint(fields=('scheme', 'unit'), name='uniq_eval_contract'),
        ),
        migrations.AddConstraint(
            model_name='contract',
            constraint=models.UniqueConstraint(fields=('scheme', 'department'), name='uniq_eval_contract_department'),
        ),
        migrations.AddConstraint(
            model_name='contract',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', True), ('unit__isnull', False)), models.Q(('department__isnull', False), ('unit__isnull', True)), _connector='OR'), name='eval_contract_one_unit'),
        ),
        migrations.RunPython(reinstall_guard, drop_guard),
    ]
