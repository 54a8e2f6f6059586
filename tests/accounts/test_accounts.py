import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.models import ApiKey, AuditEntry, User
from dangol.accounts.permissions import Role, role_has
from dangol.accounts.services import (
    authenticate_api_token,
    change_role,
    create_api_key,
    create_staff,
    revoke_api_key,
)
from dangol.core.errors import DomainError, PermissionDenied
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_roles_hold_the_permissions_of_the_map():
    assert role_has(Role.OWNER, "anything.at.all")
    assert role_has(Role.ANALYST, "customers.view")
    assert role_has(Role.ANALYST, "customers.export")
    assert not role_has(Role.ANALYST, "customers.change")
    assert not role_has(Role.AGENT, "customers.import")
    assert role_has(Role.MARKETER, "customers.import")
    assert not role_has(Role.MARKETER, "accounts.manage_api_keys")


def test_api_key_is_stored_hashed_and_shown_once(owner):
    issued = create_api_key(actor=Actor(user=owner), name="shop", scopes=["customers.view"])
    key = ApiKey.objects.get()
    assert issued.token.startswith(f"dg_{key.prefix}_")
    secret = issued.token.split("_", 2)[2]
    assert secret not in key.secret_hash
    assert authenticate_api_token(issued.token) == key
    assert authenticate_api_token(issued.token + "x") is None
    entry = AuditEntry.objects.get(object_type="accounts.apikey")
    assert "secret_hash" not in entry.fields and entry.fields == ["name", "scopes"]


def test_revoked_key_stops_working(owner):
    issued = create_api_key(actor=Actor(user=owner), name="k", scopes=["customers.view"])
    revoke_api_key(actor=Actor(user=owner), key_id=issued.api_key.pk)
    assert authenticate_api_token(issued.token) is None
    response = Client(headers={"Authorization": f"Bearer {issued.token}"}).get("/api/customers")
    assert response.status_code == 401


def test_unknown_scope_and_scope_beyond_own_role_are_refused(db):
    admin = make_staff(Role.ADMIN)
    with pytest.raises(DomainError) as unknown:
        create_api_key(actor=Actor(user=admin), name="k", scopes=["customers.fly"])
    assert unknown.value.code == "unknown_scope"
    analyst = make_staff(Role.ANALYST, "an@example.com")
    with pytest.raises(PermissionDenied):
        create_api_key(actor=Actor(user=analyst), name="k", scopes=["customers.view"])


def test_only_owner_makes_owners_and_last_owner_stays(owner):
    admin = make_staff(Role.ADMIN)
    with pytest.raises(PermissionDenied):
        create_staff(actor=Actor(user=admin), email="x@example.com", name="X",
                     role=Role.OWNER, password="a-long-password-1")
    with pytest.raises(DomainError) as last:
        change_role(actor=Actor(user=owner), user_id=owner.pk, role=Role.ADMIN)
    assert last.value.code == "last_owner"
    user = create_staff(actor=Actor(user=admin), email="Agent@Example.com", name="A",
                        role=Role.AGENT, password="a-long-password-1")
    assert user.email == "agent@example.com"
    assert AuditEntry.objects.filter(object_type="accounts.user", action="create").exists()


def test_login_page_logs_in_and_audits(db):
    User.objects.create_user("staff@example.com", "a-long-password-1", role=Role.AGENT)
    client = Client()
    response = client.post("/accounts/login/", {"username": "staff@example.com",
                                                "password": "a-long-password-1"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="login").count() == 1
    bad = Client().post("/accounts/login/", {"username": "staff@example.com",
                                             "password": "wrong"})
    assert bad.status_code == 200


def test_admin_site_is_for_owners_only(owner_client, db):
    assert owner_client.get("/admin/").status_code == 200
    admin = Client()
    admin.force_login(make_staff(Role.ADMIN))
    assert admin.get("/admin/").status_code == 302


def test_settings_pages_follow_permissions(owner_client, db):
    assert owner_client.get("/accounts/api-keys/").status_code == 200
    assert owner_client.get("/accounts/staff/").status_code == 200
    assert owner_client.get("/accounts/audit-log/").status_code == 200
    agent = Client()
    agent.force_login(make_staff(Role.AGENT))
    assert agent.get("/accounts/api-keys/").status_code == 403


def test_creating_a_key_on_the_page_shows_it_once(owner_client):
    response = owner_client.post("/accounts/api-keys/", {"name": "shop",
                                                         "scopes": ["customers.view"]})
    token = response.context["issued"].token
    assert token in response.content.decode()
    assert token not in owner_client.get("/accounts/api-keys/").content.decode()


def test_owner_sees_customers_in_the_admin(owner_client):
    from tests.factories import OrderLineFactory

    line = OrderLineFactory()
    assert owner_client.get("/admin/customers/customer/").status_code == 200
    page = owner_client.get(f"/admin/customers/order/{line.order_id}/change/")
    assert page.status_code == 200
    assert owner_client.get("/admin/accounts/auditentry/add/").status_code == 403


def test_staff_page_changes_roles_and_deactivates(owner_client):
    agent = make_staff(Role.AGENT)
    owner_client.post(f"/accounts/staff/{agent.pk}/", {"role": Role.ANALYST})
    agent.refresh_from_db()
    assert agent.role == Role.ANALYST
    owner_client.post(f"/accounts/staff/{agent.pk}/", {"active": "0"})
    agent.refresh_from_db()
    assert not agent.is_active
    assert AuditEntry.objects.filter(object_id=str(agent.pk), action="deactivate").exists()
