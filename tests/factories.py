from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from dangol.customers.models import Customer, Order, OrderLine, Product


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Faker("name", locale="ko_KR")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"+8210{20000000 + n:08d}")
    region = "서울"
    language = "ko"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    external_id = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"상품 {n}")
    category = "의류"
    price = Decimal("39000")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    external_id = factory.Sequence(lambda n: f"O{n:07d}")
    customer = factory.SubFactory(CustomerFactory)
    ordered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    total_amount = Decimal("39000")
    channel = "online"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    quantity = 1
    unit_price = Decimal("39000")
    amount = Decimal("39000")
