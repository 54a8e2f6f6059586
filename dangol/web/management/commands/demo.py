from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from dangol.accounts.actors import SYSTEM
from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.accounts.services import record_audit
from dangol.customers.demo.generate import generate_demo
from dangol.customers.models import Customer
from dangol.customers.recommendations import build_recommendations
from dangol.feedback.demo import generate_feedback_demo
from dangol.feedback.services import analyse_pending_answers
from dangol.loyalty.demo import generate_loyalty_demo
from dangol.surveys.benchmarks_demo import generate_benchmark_demo
from dangol.surveys.demo import generate_survey_demo

DEMO_EMAIL = "demo@dangol.local"
DEMO_PASSWORD = "dangol-demo"  # noqa: S105  (a published demo login, like the docs say)


class Command(BaseCommand):
    help = "Fill the database with a realistic demo shop and a demo staff login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the database already has customers")

    def handle(self, *args: Any, customers: int, seed: int, if_empty: bool,
               **options: Any) -> None:
        if customers < 1:
            self.stderr.write("--customers must be at least 1")
            raise SystemExit(2)
        if if_empty and Customer.objects.exists():
            self.stdout.write("The database already has customers; no demo data added.")
            return
        with transaction.atomic():
            if not User.objects.filter(email=DEMO_EMAIL).exists():
                User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, name="데모 관리자",
                                         role=Role.OWNER)
            result = generate_demo(customers=customers, seed=seed)
            loyalty = generate_loyalty_demo()
            surveys = generate_survey_demo(seed=seed, responses=max(200, customers * 3 // 2))
            analyse_pending_answers()
            feedback = generate_feedback_demo(seed=seed, items=max(100, min(600, customers // 3)))
            generate_benchmark_demo()
            record_audit(actor=SYSTEM, action="demo", object_type_label="customers.customer",
                         object_id="*", fields=[])
        # Recommendations read the product similarities, computed nightly; the first now.
        build_recommendations()
        self.stdout.write(self.style.SUCCESS(
            f"Demo shop: {result.customers} customers, {result.products} products, "
            f"{result.orders} orders ({loyalty.orders_earned} earned points, "
            f"{loyalty.members_with_tier} members reached a tier), {surveys.surveys} surveys "
            f"with {surveys.responses} responses, {feedback.items} reviews and other feedback."))
        self.stdout.write(f"Demo staff login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
