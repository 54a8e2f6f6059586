import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangol.core.errors import DomainError
from dangol.customers.recommendations import (
    build_recommendations,
    evaluate_on_orders,
    recommend_for_customer,
)
from dangol.customers.selectors import get_customer


class Command(BaseCommand):
    help = ("Product recommendations: 'build' computes the product similarities from "
            "purchase histories; 'show CUSTOMER_ID' prints a customer's recommendations; "
            "'evaluate' compares them with the best-sellers on the last --test-days of "
            "orders (trained on the orders before).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["build", "show", "evaluate"])
        parser.add_argument("customer_id", nargs="?", help="a customer's external ID (show)")
        parser.add_argument("-n", type=int, default=10, help="how many (show, evaluate)")
        parser.add_argument("--test-days", type=int, default=90,
                            help="days of orders held out for the test (evaluate)")

    def handle(self, *args: Any, action: str, customer_id: str | None, n: int,
               test_days: int, **options: Any) -> None:
        if n < 1 or test_days < 1:
            raise CommandError("-n and --test-days must be at least 1")
        try:
            if action == "evaluate":
                result = evaluate_on_orders(test_days=test_days, n=n)
                self.stdout.write(json.dumps(
                    {k: (v.isoformat() if hasattr(v, "isoformat") else
                         round(v, 4) if isinstance(v, float) else v)
                     for k, v in result.__dict__.items()}))
                return
            if action == "build":
                build = build_recommendations()
                self.stdout.write(json.dumps({
                    "build": build.pk, "customers": build.customers, "products": build.products,
                    "pairs": build.pairs, "seconds": round(
                        (build.finished_at - build.created_at).total_seconds(), 2)}))
                return
            if not customer_id:
                raise CommandError("show needs a customer ID")
            customer = get_customer(external_id=customer_id)
            for item in recommend_for_customer(customer, n=n):
                self.stdout.write(json.dumps(item.__dict__, ensure_ascii=False))
        except DomainError as error:
            raise CommandError(str(error.message)) from error
