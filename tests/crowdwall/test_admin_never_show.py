"""The never-show list in the admin: saving an entry takes the account's posts off at once."""

from __future__ import annotations

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model

from crowdwall.models import ModerationLog, NeverShow, PostWall
from tests.crowdwall.conftest import make_post
from tests.crowdwall.test_admin import crowdwall_admin, request_  # noqa: F401

pytestmark = pytest.mark.django_db

ANN = "https://social.example/users/ann"


@pytest.fixture
def model_admin(crowdwall_admin):  # noqa: F811
    return crowdwall_admin.NeverShowAdmin(NeverShow, django_admin.site)


def test_adding_in_the_admin_withdraws_and_audits(model_admin, request_, store, wall):  # noqa: F811
    store(make_post(1), make_post(2))
    request_.user = get_user_model().objects.create_user("mod", is_staff=True)
    form = model_admin.get_form(request_)(data={"account": " @Ann@Social.Example ", "note": "mail"})
    assert form.is_valid(), form.errors
    entry = form.save(commit=False)
    model_admin.save_model(request_, entry, form, change=False)
    assert NeverShow.objects.get().account == "@ann@social.example"
    assert set(PostWall.objects.values_list("state", flat=True)) == {"rejected"}
    assert ModerationLog.objects.get().actor_name == "mod"
    model_admin.delete_model(request_, NeverShow.objects.get())
    assert not NeverShow.objects.exists()


def test_the_form_refuses_a_duplicate_and_an_empty_account(model_admin, request_, wall):  # noqa: F811
    NeverShow.objects.create(account=ANN)
    request_.user = get_user_model().objects.create_user("mod", is_staff=True)
    form_class = model_admin.get_form(request_)
    assert "account" in form_class(data={"account": ANN}).errors
    assert "account" in form_class(data={"account": "@"}).errors
    assert form_class(data={"account": ANN, "wall": wall.pk}).is_valid()
