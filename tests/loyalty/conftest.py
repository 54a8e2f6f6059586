import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.services import create_api_key

LOYALTY_SCOPES = ["loyalty.view", "loyalty.transact", "loyalty.manage"]


@pytest.fixture
def loyalty_api(owner) -> Client:
    """A client with an API key for every loyalty permission."""
    token = create_api_key(actor=Actor(user=owner), name="shop", scopes=LOYALTY_SCOPES).token
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def viewer_api(owner) -> Client:
    token = create_api_key(actor=Actor(user=owner), name="view", scopes=["loyalty.view"]).token
    return Client(headers={"Authorization": f"Bearer {token}"})
