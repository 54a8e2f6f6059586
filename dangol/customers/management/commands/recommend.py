import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangol.core.errors import DomainError
from dangol.customers.recommendations import build_recommendations, recommend_for_customer
from dangol.customers.selectors import get_customer


class Command(BaseCommand):
    help = ("Product recommendations: 'build' computes the product similarities from "
            "purchase histories; 'show CUSTOMER_ID' prints a customer's recommendations.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["build", "show"])
        parser.add_argument("customer_id", nargs="?", help="a customer's external ID (show)")
        parser.add_argument("-n", type=int, default=10, help="how many (show)")

    def handle(self, *args: Any, action: str, customer_id: str | None, n: int,
               **options: Any) -> None:
        try:
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
