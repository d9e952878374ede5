"""The navigation shows each role its links, and only links the app serves."""
from __future__ import annotations

from flask import Blueprint

from tests.fixtures.web import login


def test_links_follow_roles_and_existing_endpoints(app, make_user) -> None:  # type: ignore[no-untyped-def]
    models = Blueprint("models", __name__)
    models.add_url_rule("/models", "index", lambda: "models")
    app.register_blueprint(models)
    make_user("owner", roles=[("process_owner", None, None)])
    make_user("insp", roles=[("inspector", "海曙区", None)])

    owner = app.test_client()
    login(owner, "owner")
    page = owner.get("/?lang=en").get_data(as_text=True)
    assert 'href="/models"' in page and "Process models" in page
    assert "Audit trail" not in page  # not served yet, and not the owner's anyway

    inspector = app.test_client()
    login(inspector, "insp")
    page = inspector.get("/?lang=en").get_data(as_text=True)
    assert 'href="/models"' not in page
    assert '<a href="/" aria-current="page">Home</a>' in page
