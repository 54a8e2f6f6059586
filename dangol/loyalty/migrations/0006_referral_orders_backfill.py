"""Referrals rewarded before the qualifying order was recorded get it: the newcomer's
earliest order, so that a refund of it takes the reward back like any later one."""

from django.db import migrations


def backfill(apps, schema_editor):
    Referral = apps.get_model("loyalty", "Referral")
    Order = apps.get_model("customers", "Order")
    for referral in Referral.objects.filter(entry__isnull=False, order__isnull=True).iterator():
        first = (
            Order.objects.filter(customer_id=referral.referred_id)
            .order_by("ordered_at", "pk")
            .first()
        )
        if first is not None:
            Referral.objects.filter(pk=referral.pk).update(order=first)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("loyalty", "0005_prizes_and_referral_orders"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
