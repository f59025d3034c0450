# The indexes a month list reads on every request: the newest accepted line of each month (its
# ETag) and a recipient's accepted lines with their amounts (its available balance, index-only).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0004_appliedline_recipient"),
        ("households", "0007_codes_unique_without_like_indexes"),
        ("organisations", "0004_organisation_history"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appliedline",
            index=models.Index(
                condition=models.Q(("accepted", True)),
                fields=["trader", "month", "id"],
                name="appliedline_accepted_newest",
            ),
        ),
        migrations.RemoveIndex(model_name="appliedline", name="appliedline_recipient"),
        migrations.AddIndex(
            model_name="appliedline",
            index=models.Index(
                condition=models.Q(("accepted", True)),
                fields=["trader", "contract_no", "month"],
                include=("sub_user_code", "sub_user_id", "applied_eur"),
                name="appliedline_recipient_covering",
            ),
        ),
    ]
