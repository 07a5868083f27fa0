from django.db import migrations, models

# Each kind's default scope as of this migration (crowdwall.sources.kinds): existing webhooks,
# feeds and replays are confined to their own wall; Mastodon and Bluesky keep matching every wall.
ANY_WALL_KINDS = ("mastodon", "bluesky")


def set_scopes(apps, schema_editor):
    Source = apps.get_model("crowdwall", "Source")
    Source.objects.filter(kind__in=ANY_WALL_KINDS).update(scope="any")
    Source.objects.exclude(kind__in=ANY_WALL_KINDS).update(scope="own")


class Migration(migrations.Migration):
    dependencies = [
        ("crowdwall", "0006_quarantine"),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="scope",
            field=models.CharField(
                blank=True,
                choices=[("own", "Its own wall only"), ("any", "Any wall whose rules match")],
                help_text=(
                    "Which walls its posts may reach. Empty: the kind's default (own wall for "
                    "webhook, RSS and replay sources; any matching wall for Mastodon and "
                    "Bluesky). A webhook always feeds its own wall only."
                ),
                max_length=10,
            ),
        ),
        migrations.RunPython(set_scopes, migrations.RunPython.noop),
    ]
